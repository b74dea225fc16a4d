// The GitLab calls this provider makes, through gitbeaker's resource classes with our requester.
import { type AddResourceHookOptions, GroupHooks, Groups, ProjectHooks, Projects } from "@gitbeaker/rest";
import { normalizeEvents } from "../events";
import { createRequester } from "./transport";
import { HOOK_EVENTS, type HookScope } from "./types";

export interface Connection {
  /** Instance URL, e.g. https://gitlab.example.com. */
  readonly url: string;
  readonly token: string;
}

export interface HookSettings {
  readonly url: string;
  readonly events: readonly string[];
  readonly enableSslVerification: boolean;
  readonly secret?: string;
}

export interface RemoteHook {
  readonly id: number;
  readonly url: string;
  /** Normalized: the event fields that are true. */
  readonly events: string[];
  readonly enableSslVerification: boolean;
  /** The project or group ID GitLab reports. */
  readonly ownerId?: number;
}

type RawHook = Record<string, unknown> & { id: number; url: string };

export interface HookClient {
  list(owner: string): Promise<RemoteHook[]>;
  show(owner: string, hookId: number): Promise<RemoteHook>;
  add(owner: string, settings: HookSettings): Promise<RemoteHook>;
  edit(owner: string, hookId: number, settings: HookSettings): Promise<RemoteHook>;
  remove(owner: string, hookId: number): Promise<void>;
  /** Whether the project or group exists (for telling a missing group from a tier without group hooks). */
  ownerExists(owner: string): Promise<boolean>;
}

/**
 * GitLab's hook body: every event field of the scope as an explicit boolean (GitLab turns
 * `push_events` on when it is omitted), and the token on every call: a URL change resets it, and
 * an empty token clears one that is no longer declared.
 */
export function hookBody(scope: HookScope, settings: HookSettings): Record<string, unknown> {
  const wanted = new Set(settings.events);
  const body: Record<string, unknown> = {};
  for (const field of HOOK_EVENTS[scope]) body[field] = wanted.has(field);
  body.enable_ssl_verification = settings.enableSslVerification;
  body.token = settings.secret ?? "";
  return body;
}

function toRemote(scope: HookScope, raw: RawHook): RemoteHook {
  const ownerId = raw[scope === "project" ? "project_id" : "group_id"];
  return {
    id: raw.id,
    url: raw.url,
    events: normalizeEvents(HOOK_EVENTS[scope].filter((f) => raw[f] === true)),
    enableSslVerification: raw.enable_ssl_verification !== false,
    ownerId: typeof ownerId === "number" ? ownerId : undefined,
  };
}

export function hookClient(scope: HookScope, conn: Connection, secret?: string): HookClient {
  const options = {
    host: conn.url,
    token: conn.token,
    requesterFn: createRequester([conn.token, secret]),
    // Our requester applies a timeout per attempt; gitbeaker's would span every retry.
    queryTimeout: null,
  };
  const hooks = scope === "project" ? new ProjectHooks(options) : new GroupHooks(options);
  const owners = scope === "project" ? new Projects(options) : new Groups(options);
  // gitbeaker's option types lack several of GitLab's fields; the names we send are GitLab's own.
  const opts = (settings: HookSettings) => hookBody(scope, settings) as AddResourceHookOptions;

  return {
    list: async (owner) => {
      const all = (await hooks.all(owner, { perPage: 100 })) as unknown as RawHook[];
      return all.map((h) => toRemote(scope, h));
    },
    show: async (owner, hookId) => toRemote(scope, (await hooks.show(owner, hookId)) as unknown as RawHook),
    add: async (owner, settings) =>
      toRemote(scope, (await hooks.add(owner, settings.url, opts(settings))) as unknown as RawHook),
    edit: async (owner, hookId, settings) =>
      toRemote(scope, (await hooks.edit(owner, hookId, settings.url, opts(settings))) as unknown as RawHook),
    remove: async (owner, hookId) => {
      await hooks.remove(owner, hookId);
    },
    ownerExists: async (owner) => {
      try {
        await owners.show(owner);
        return true;
      } catch (err) {
        if ((err as { status?: number }).status === 404) return false;
        throw err;
      }
    },
  };
}
