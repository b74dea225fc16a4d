import { GITLAB_EVENTS, GITLAB_GROUP_ONLY_EVENTS } from "../events";

export const DEFAULT_GITLAB_URL = "https://gitlab.com";
/** Bumped when the shape of the outputs changes; `upgradeOutputs` reads every earlier one. */
export const SCHEMA_VERSION = 1;

/** Which kind of hook: one resource type each, one provider each. */
export type HookScope = "project" | "group";

const GROUP_ONLY = new Set(GITLAB_GROUP_ONLY_EVENTS);

/** The event fields each kind of hook stores, which is also what read reports. */
export const HOOK_EVENTS: Record<HookScope, readonly string[]> = {
  project: GITLAB_EVENTS.filter((e) => !GROUP_ONLY.has(e)),
  group: GITLAB_EVENTS,
};

/** What the program declares (after check: normalized, defaults applied). */
export interface Inputs {
  gitlab?: { url?: string; token?: string };
  /** `project` for a project hook, `group` for a group hook: numeric ID or full path. */
  project?: string;
  group?: string;
  url: string;
  secret?: string;
  events: string[];
  enableSslVerification: boolean;
}

/**
 * The state: everything read, update and delete need, since they receive outputs, not inputs.
 * A type, so that it is a `Props`.
 */
export type Outputs = {
  schemaVersion: number;
  hookId: number;
  /** The instance URL, e.g. https://gitlab.example.com (not the /api/v4 base). */
  gitlabUrl: string;
  /** Stored only when given as an input, so a later delete works; a secret output. */
  gitlabToken?: string;
  project?: string;
  /** GitLab's numeric ID of the project or group, from its answer. */
  projectId?: number;
  group?: string;
  groupId?: number;
  url: string;
  events: string[];
  enableSslVerification: boolean;
  secret?: string;
};

export const ownerIdKey = (scope: HookScope): "projectId" | "groupId" =>
  scope === "project" ? "projectId" : "groupId";
