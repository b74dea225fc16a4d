// The GitLab calls doctor and redeliver make, through gitbeaker with the providers' requester (the
// shared HTTP layer: timeouts, backoff honouring Retry-After and RateLimit-Reset). gitbeaker 43
// has no method for a hook's test, events or resend, so those go through the same requester by
// route. Sources: doc/api/project_webhooks.md and group_webhooks.md, lib/api/hooks/*.rb.
import { Projects } from "@gitbeaker/rest";
import { createRequester } from "../../../providers/gitlab/transport";
import type { HookScope } from "../../../providers/gitlab/types";
import { sleep } from "../../../providers/http";

/** A hook as GitLab returns it: the event fields, TLS, and the auto-disable state. */
export interface GitLabHook {
  readonly id: number;
  readonly url: string;
  /** The event fields that are true (`push_events`, …). */
  readonly events: string[];
  readonly enableSslVerification: boolean;
  /** `executable`, `temporarily_disabled` or `disabled` (GitLab 15.7+); absent on older versions. */
  readonly alertStatus?: string;
  readonly disabledUntil?: string;
}

/** One execution of a hook, from its events log (GitLab 17.3+). No headers or bodies are kept. */
export interface GitLabHookEvent {
  readonly id: number;
  /** `push_hooks`, `merge_request_hooks`, … */
  readonly trigger: string;
  /** The receiver's HTTP status, or GitLab's text for a failure without one (`internal error`). */
  readonly responseStatus: string;
  readonly createdAt: string;
  /** `Idempotency-Key`: the same for every execution of one event (resends included). */
  readonly idempotencyKey?: string;
}

export type TestOutcome =
  | { readonly kind: "sent" }
  /** GitLab's 422 carries the receiver's answer, or the error that kept it from answering. */
  | { readonly kind: "failed"; readonly message: string }
  | { readonly kind: "unsupported" }
  | { readonly kind: "noData"; readonly message: string };

export type EventStatus = "successful" | "client_failure" | "server_failure";

const encode = (owner: string) => encodeURIComponent(owner);

function toHook(raw: Record<string, unknown>): GitLabHook {
  return {
    id: Number(raw.id),
    url: String(raw.url ?? ""),
    events: Object.keys(raw).filter((k) => k.endsWith("_events") && raw[k] === true),
    enableSslVerification: raw.enable_ssl_verification !== false,
    ...(typeof raw.alert_status === "string" ? { alertStatus: raw.alert_status } : {}),
    ...(typeof raw.disabled_until === "string" ? { disabledUntil: raw.disabled_until } : {}),
  };
}

function header(headers: unknown, name: string): string | undefined {
  if (!headers || typeof headers !== "object") return undefined;
  for (const [k, v] of Object.entries(headers)) {
    if (k.toLowerCase() === name) return Array.isArray(v) ? String(v[0]) : String(v);
  }
  return undefined;
}

function toEvent(raw: Record<string, unknown>): GitLabHookEvent {
  const key = header(raw.request_headers, "idempotency-key");
  return {
    id: Number(raw.id),
    trigger: String(raw.trigger ?? ""),
    responseStatus: String(raw.response_status ?? ""),
    createdAt: String(raw.created_at ?? ""),
    ...(key ? { idempotencyKey: key } : {}),
  };
}

const status = (err: unknown): number | undefined => (err as { status?: number })?.status;

/**
 * GitLab answers a hook test or resend beyond its limit (5 a minute per user and project or hook)
 * with 429 and no Retry-After: after the HTTP layer's own retries, these waits (about a minute in
 * all) let the window pass before giving up.
 */
const RATE_LIMIT_WAITS_MS = [5_000, 10_000, 20_000, 30_000];

async function patiently<T>(call: () => Promise<T>): Promise<T> {
  for (const wait of RATE_LIMIT_WAITS_MS) {
    try {
      return await call();
    } catch (err) {
      if (status(err) !== 429) throw err;
      await sleep(wait);
    }
  }
  return call();
}

export class GitLabApi {
  private readonly requester;

  constructor(
    readonly instance: string,
    token: string,
    secrets: ReadonlyArray<string | undefined>,
  ) {
    const resource = new Projects({
      host: instance,
      token,
      requesterFn: createRequester([token, ...secrets]),
      queryTimeout: null,
    });
    this.requester = resource.requester;
  }

  private async get<T>(endpoint: string, searchParams?: Record<string, unknown>): Promise<T> {
    return (await this.requester.get(endpoint, searchParams ? { searchParams } : undefined)).body as T;
  }

  /** `[major, minor]`, or undefined when GitLab does not say. */
  async version(): Promise<[number, number] | undefined> {
    try {
      const body = await this.get<{ version?: unknown }>("version");
      const m = /^(\d+)\.(\d+)/.exec(String(body?.version ?? ""));
      return m ? [Number(m[1]), Number(m[2])] : undefined;
    } catch (err) {
      if (status(err) === 404 || status(err) === 403) return undefined;
      throw err;
    }
  }

  async hooks(scope: HookScope, owner: string): Promise<GitLabHook[]> {
    const out: GitLabHook[] = [];
    for (let page = 1; page <= 100; page++) {
      const batch = await this.get<Array<Record<string, unknown>>>(`${scope}s/${encode(owner)}/hooks`, {
        perPage: 100,
        page,
      });
      out.push(...batch.map(toHook));
      if (batch.length < 100) break;
    }
    return out;
  }

  /** The hook, or undefined when GitLab has no hook with that ID there. */
  async hook(scope: HookScope, owner: string, hookId: number): Promise<GitLabHook | undefined> {
    try {
      return toHook(await this.get<Record<string, unknown>>(`${scope}s/${encode(owner)}/hooks/${hookId}`));
    } catch (err) {
      const e = err as { status?: number; gitlabMessage?: string; routeError?: boolean };
      if (
        e.status === 404 &&
        !e.routeError &&
        !/project not found|group not found/i.test(e.gitlabMessage ?? "")
      ) {
        return undefined;
      }
      throw err;
    }
  }

  /** Whether the project has a merge request (a merge request test needs one). */
  async hasMergeRequest(project: string): Promise<boolean> {
    const list = await this.get<unknown[]>(`projects/${encode(project)}/merge_requests`, { perPage: 1 });
    return Array.isArray(list) && list.length > 0;
  }

  /** `POST …/hooks/:id/test/:trigger` (16.11+; groups 17.1+): GitLab sends it and waits for the answer. */
  async test(scope: HookScope, owner: string, hookId: number, trigger: string): Promise<TestOutcome> {
    try {
      await patiently(() =>
        this.requester.post(`${scope}s/${encode(owner)}/hooks/${hookId}/test/${trigger}`),
      );
      return { kind: "sent" };
    } catch (err) {
      const e = err as { status?: number; gitlabMessage?: string; routeError?: boolean };
      if (e.status === 404) return { kind: "unsupported" };
      const message = e.gitlabMessage ?? "";
      if ((e.status === 400 || e.status === 422) && /ensure the project has/i.test(message)) {
        return { kind: "noData", message };
      }
      if (e.status === 422) return { kind: "failed", message };
      throw err;
    }
  }

  /**
   * The hook's executions since `since` (epoch ms; GitLab keeps 7 days), newest first, filtered by
   * status category (17.3+). GitLab pages these 20 at most.
   */
  async events(
    scope: HookScope,
    owner: string,
    hookId: number,
    options: { status?: EventStatus; since?: number; limit?: number } = {},
  ): Promise<GitLabHookEvent[]> {
    const limit = options.limit ?? 1000;
    const out: GitLabHookEvent[] = [];
    for (let page = 1; page <= 500 && out.length < limit; page++) {
      const batch = await this.get<Array<Record<string, unknown>>>(
        `${scope}s/${encode(owner)}/hooks/${hookId}/events`,
        { perPage: 20, page, ...(options.status ? { status: options.status } : {}) },
      );
      for (const raw of batch) {
        const event = toEvent(raw);
        if (options.since !== undefined && Date.parse(event.createdAt) < options.since) return out;
        out.push(event);
      }
      if (batch.length < 20) break;
    }
    return out.slice(0, limit);
  }

  /** `POST …/hooks/:id/events/:event_id/resend` (17.4+): GitLab sends the event again. */
  async resend(scope: HookScope, owner: string, hookId: number, eventId: number): Promise<void> {
    await patiently(() =>
      this.requester.post(`${scope}s/${encode(owner)}/hooks/${hookId}/events/${eventId}/resend`),
    );
  }
}

/** Whether `version` is at least `major.minor`; unknown versions are given the benefit of the doubt. */
export function atLeast(version: [number, number] | undefined, major: number, minor: number): boolean {
  if (!version) return true;
  return version[0] > major || (version[0] === major && version[1] >= minor);
}
