import { GITLAB_EVENTS, GITLAB_GROUP_ONLY_EVENTS } from "../events";

export type HookScope = "project" | "group";

const GROUP_ONLY = new Set(GITLAB_GROUP_ONLY_EVENTS);

/** The event fields each kind of hook stores, which is also what read reports. */
export const HOOK_EVENTS: Record<HookScope, readonly string[]> = {
  project: GITLAB_EVENTS.filter((e) => !GROUP_ONLY.has(e)),
  group: GITLAB_EVENTS,
};
