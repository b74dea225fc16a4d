import { GITLAB_EVENTS } from "../events";

export type HookScope = "project" | "group";

// Fields outside project hooks: a group's member, project and subgroup events, and the
// system-hook-only `repository_update_events` (gitlabhq doc/api/project_webhooks.md,
// group_webhooks.md, system_hooks.md).
const GROUP_ONLY = new Set(["member_events", "project_events", "subgroup_events"]);
const SYSTEM_ONLY = new Set(["repository_update_events"]);

/** The event fields each kind of hook stores, which is also what read reports. */
export const HOOK_EVENTS: Record<HookScope, readonly string[]> = {
  project: GITLAB_EVENTS.filter((e) => !GROUP_ONLY.has(e) && !SYSTEM_ONLY.has(e)),
  group: GITLAB_EVENTS.filter((e) => !SYSTEM_ONLY.has(e)),
};
