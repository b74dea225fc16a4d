// The GitLab stand-in's options, stored hooks and the helpers tests and the sandbox drive it with.
import { GITLAB_EVENTS, GITLAB_GROUP_ONLY_EVENTS } from "../../../providers/events";
import type { RateLimit } from "../rate-limit";
import type { FakeServer, NetworkOptions } from "../server";
import type { ExecutionResult, HookHealth, HookLogRecord } from "./executions";
import type { FakeMergeRequest } from "./samples";

export type GitLabRole = "owner" | "maintainer" | "developer";
export type HookScope = "project" | "group";

const GROUP_ONLY = new Set(GITLAB_GROUP_ONLY_EVENTS);

/** Event fields a project hook stores. */
export const PROJECT_HOOK_EVENTS: readonly string[] = GITLAB_EVENTS.filter((e) => !GROUP_ONLY.has(e));

/** Group hooks add the events of a group's members, projects and subgroups. */
export const GROUP_HOOK_EVENTS: readonly string[] = GITLAB_EVENTS;

export interface FakeHook {
  id: number;
  scope: HookScope;
  /** The project or group ID. */
  ownerId: number;
  url: string;
  /** Write-only on the API: never returned, kept here for tests and deliveries. */
  token: string;
  enableSslVerification: boolean;
  pushEventsBranchFilter: string;
  events: Record<string, boolean>;
  createdAt: string;
  /** Consecutive failures and the backoff GitLab derives `alert_status` and `disabled_until` from. */
  health: HookHealth;
}

export interface FakeDelivery {
  hookId: number;
  url: string;
  headers: Record<string, string>;
  body: string;
  /** The receiver's status, or undefined when it could not be reached. */
  status?: number;
  error?: string;
}

export interface GitLabFakeOptions {
  /** Personal access tokens and the role each grants everywhere. Default `{ "glpat-fake-owner": "owner" }`. */
  tokens?: Record<string, GitLabRole>;
  /** Project full paths (`group/sub/project`); IDs are assigned from 1; parent groups are created. */
  projects?: string[];
  /** Group full paths; IDs are assigned after the projects' parents. */
  groups?: string[];
  /** False reproduces a tier without group webhooks (GitLab Free): the routes answer 404. Default true. */
  groupHooks?: boolean;
  /** POST a push-event test delivery to a hook's URL whenever it is created or edited. */
  deliverTestEvents?: boolean;
  /** Default 20, as on GitLab. */
  defaultPerPage?: number;
  /** The GitLab version to behave as (default "18.3.0"): hook tests need 16.11 (groups 17.1), hook events 17.3, resend 17.4. */
  version?: string;
  /** Hook tests and resends allowed per user (and project or hook); default 5 a minute, GitLab's default. */
  hookRateLimit?: RateLimit;
  /** Latency and rate limit of the shared plumbing (../server.ts). */
  network?: NetworkOptions;
}

export interface GitLabFake extends FakeServer {
  /** The fake's instance URL (give this as `gitlab.url`; the API is under `/api/v4`). */
  readonly url: string;
  projectId(path: string): number | undefined;
  groupId(path: string): number | undefined;
  addProject(path: string): number;
  addGroup(path: string): number;
  /** Hooks of a project or group (by ID or path), copies in ID order. */
  hooks(scope: HookScope, idOrPath: string | number): FakeHook[];
  hook(id: number): FakeHook | undefined;
  /** Creates a hook as a user would in the UI (for adoption tests). */
  addHook(
    scope: HookScope,
    idOrPath: string | number,
    init: { url: string; token?: string; events?: string[]; enableSslVerification?: boolean },
  ): FakeHook;
  /** Changes a hook outside the API (drift). `events` replaces the whole set. */
  setHook(
    id: number,
    patch: { url?: string; token?: string; events?: string[]; enableSslVerification?: boolean },
  ): void;
  deleteHook(id: number): void;
  setToken(token: string, role: GitLabRole | undefined): void;
  setGroupHooksAvailable(available: boolean): void;
  readonly deliveries: FakeDelivery[];
  /** Waits for test deliveries in flight. */
  deliveriesSettled(): Promise<void>;
  /** Adds a merge request to a project (the newest is what a merge request hook test sends). */
  addMergeRequest(projectPath: string, title?: string): FakeMergeRequest;
  /**
   * The event happening on GitLab: every executable hook of the project (or group) and of the
   * groups above it that takes `eventField` runs now. Resolves with each execution.
   */
  emit(
    scope: HookScope,
    idOrPath: string | number,
    eventField: "push_events" | "merge_requests_events",
  ): Promise<ExecutionResult[]>;
  /** The hook's executions, as its events API lists them (oldest first here). */
  hookEvents(hookId: number): HookLogRecord[];
  /** Disables a hook as GitLab does after failures: for a while (a minute), or for good. */
  disableHook(id: number, how: "temporarily" | "permanently"): void;
  /** Makes a disabled hook executable again, as a successful test from the UI does. */
  enableHook(id: number): void;
  setVersion(version: string): void;
}
