import type { HookScope } from "./events";

export const DEFAULT_GITLAB_URL = "https://gitlab.com";
export const SCHEMA_VERSION = 1;

/** What the program declares (after check: normalized, defaults applied). */
export interface HookInputs {
  gitlab?: { url?: string; token?: string };
  /** `project` for a project hook, `group` for a group hook: numeric ID or full path. */
  project?: string;
  group?: string;
  url: string;
  secret?: string;
  events: string[];
  enableSslVerification: boolean;
}

/** The state: everything read, update and delete need, since they receive outputs, not inputs. */
export interface HookOutputs {
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
}

export const ownerIdKey = (scope: HookScope): "projectId" | "groupId" =>
  scope === "project" ? "projectId" : "groupId";

/** An instance URL without trailing slashes, host lowercased by URL parsing. */
export function normalizeInstanceUrl(raw: string): string {
  const u = new URL(raw);
  return `${u.protocol}//${u.host}${u.pathname.replace(/\/+$/, "")}`;
}
