// How GitLab's stand-in runs a hook: a real POST with GitLab's headers (app/services/
// web_hook_service.rb#build_headers), logged as a hook event (lib/api/entities/web_hook_log.rb: the
// token shown as [REDACTED]), and the hook's health after it: 4 failures in a row disable it for a
// minute, doubling up to a day with each further failure, and 40 in a row disable it for good, until
// a success makes it executable again (reference/codehost-apis.md 2.3, from GitLab's merge request
// and issue excerpts: secondary). Sends only to loopback addresses, like every stand-in.
import { randomUUID } from "node:crypto";
import { isLoopback } from "../loopback";

export interface HookHealth {
  recentFailures: number;
  backoffCount: number;
  /** Epoch ms while temporarily disabled. */
  disabledUntil: number | null;
}

export interface HookLogRecord {
  readonly id: number;
  readonly hookId: number;
  readonly url: string;
  /** `push_hooks`, `merge_request_hooks`, … */
  readonly trigger: string;
  /** What was sent, the token redacted, as the events API shows it. */
  readonly requestHeaders: Record<string, string>;
  readonly requestData: unknown;
  readonly responseHeaders: Record<string, string>;
  readonly responseBody: string;
  /** Seconds. */
  readonly executionDuration: number;
  /** The receiver's status as a string, or "internal error" when none came. */
  readonly responseStatus: string;
  createdAt: number;
  readonly idempotencyKey: string;
}

export interface ExecutedHook {
  readonly id: number;
  readonly url: string;
  readonly token: string;
  readonly health: HookHealth;
}

export const FAILURE_THRESHOLD = 3;
export const PERMANENT_THRESHOLD = 39;
const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;

/** `alert_status` and `disabled_until` as GitLab renders a hook. */
export function alertStatus(
  h: HookHealth,
  now = Date.now(),
): {
  alert_status: "executable" | "temporarily_disabled" | "disabled";
  disabled_until: string | null;
} {
  if (h.recentFailures > PERMANENT_THRESHOLD) return { alert_status: "disabled", disabled_until: null };
  if (h.recentFailures > FAILURE_THRESHOLD && h.disabledUntil !== null && h.disabledUntil >= now) {
    return { alert_status: "temporarily_disabled", disabled_until: new Date(h.disabledUntil).toISOString() };
  }
  return { alert_status: "executable", disabled_until: null };
}

export function executable(h: HookHealth, now = Date.now()): boolean {
  return alertStatus(h, now).alert_status === "executable";
}

function recordOutcome(h: HookHealth, ok: boolean, now: number): void {
  if (ok) {
    h.recentFailures = 0;
    h.backoffCount = 0;
    h.disabledUntil = null;
    return;
  }
  h.recentFailures += 1;
  if (h.recentFailures > PERMANENT_THRESHOLD) {
    h.disabledUntil = null;
  } else if (h.recentFailures > FAILURE_THRESHOLD) {
    h.disabledUntil = now + Math.min(DAY, MINUTE * 2 ** h.backoffCount);
    h.backoffCount += 1;
  }
}

/** "merge_requests_events" -> trigger "merge_request_hooks", header "Merge Request Hook" (hook_to_event). */
export function triggerNames(eventField: string): { trigger: string; header: string } {
  const base = eventField.replace(/_events$/, "").replace(/^merge_requests$/, "merge_request");
  const words = base.split("_").map((w) => w[0]!.toUpperCase() + w.slice(1));
  return { trigger: `${base}_hooks`, header: `${words.join(" ")} Hook` };
}

export interface ExecutionResult {
  readonly log: HookLogRecord;
  /** The receiver's status, when it answered. */
  readonly status?: number;
  /** The receiver's body, or why nothing came. */
  readonly message: string;
  readonly headers: Record<string, string>;
  readonly body: string;
}

/** Sends `data` to the hook now and records it; `idempotencyKey` is kept by a resend. */
export async function execute(
  hook: ExecutedHook,
  eventField: string,
  data: unknown,
  context: { instance: string; version: string; nextLogId: () => number; idempotencyKey?: string },
): Promise<ExecutionResult> {
  const { trigger, header } = triggerNames(eventField);
  const body = JSON.stringify(data);
  const idempotencyKey = context.idempotencyKey ?? randomUUID();
  const headers: Record<string, string> = {
    "Content-Type": "application/json",
    "User-Agent": `GitLab/${context.version}`,
    "Idempotency-Key": idempotencyKey,
    "X-Gitlab-Event": header,
    "X-Gitlab-Webhook-UUID": randomUUID(),
    "X-Gitlab-Instance": context.instance,
    "X-Gitlab-Event-UUID": randomUUID(),
  };
  if (hook.token) headers["X-Gitlab-Token"] = hook.token.replace(/[\r\n]/g, "");
  const started = Date.now();
  let status: number | undefined;
  let text = "";
  let responseHeaders: Record<string, string> = {};
  let message: string;
  if (!isLoopback(hook.url)) {
    message = "the stand-in delivers only to loopback addresses";
  } else {
    try {
      const res = await fetch(hook.url, {
        method: "POST",
        headers,
        body,
        redirect: "manual",
        signal: AbortSignal.timeout(10_000),
      });
      status = res.status;
      text = await res.text();
      res.headers.forEach((v, k) => {
        responseHeaders[k] = v;
      });
      message = text;
    } catch (err) {
      const cause = (err as { cause?: { code?: string } })?.cause?.code;
      message =
        cause === "ECONNREFUSED"
          ? `Failed to open TCP connection to ${new URL(hook.url).host} (Connection refused)`
          : String((err as Error)?.message ?? err);
      responseHeaders = {};
    }
  }
  const ok = status !== undefined && status >= 200 && status < 300;
  recordOutcome(hook.health, ok, Date.now());
  const log: HookLogRecord = {
    id: context.nextLogId(),
    hookId: hook.id,
    url: hook.url,
    trigger,
    requestHeaders: { ...headers, ...(headers["X-Gitlab-Token"] ? { "X-Gitlab-Token": "[REDACTED]" } : {}) },
    requestData: data,
    responseHeaders,
    responseBody: status === undefined ? "" : text,
    executionDuration: (Date.now() - started) / 1000,
    responseStatus: status === undefined ? "internal error" : String(status),
    createdAt: started,
    idempotencyKey,
  };
  return { log, ...(status === undefined ? {} : { status }), message, headers, body };
}

/** The events API's entity (lib/api/entities/web_hook_log.rb). */
export function renderLog(l: HookLogRecord): Record<string, unknown> {
  return {
    id: l.id,
    url: l.url,
    trigger: l.trigger,
    request_headers: { ...l.requestHeaders },
    request_data: l.requestData,
    response_headers: { ...l.responseHeaders },
    response_body: l.responseBody,
    execution_duration: l.executionDuration,
    response_status: l.responseStatus,
    created_at: new Date(l.createdAt).toISOString(),
  };
}

/** The `status` filter: HTTP codes or `successful`, `client_failure`, `server_failure`, comma-separated. */
export function statusFilter(raw: string | null): ((l: HookLogRecord) => boolean) | { error: string } {
  if (raw === null || raw === "") return () => true;
  const tests: Array<(code: number) => boolean> = [];
  for (const part of raw.split(",").map((p) => p.trim())) {
    if (part === "successful") tests.push((c) => c >= 200 && c <= 299);
    else if (part === "client_failure") tests.push((c) => c >= 400 && c <= 499);
    else if (part === "server_failure") tests.push((c) => c >= 500 && c <= 599);
    else if (/^\d{3}$/.test(part)) tests.push((c) => c === Number(part));
    else return { error: "status does not have a valid value" };
  }
  return (l) => {
    const code = Number(l.responseStatus);
    return Number.isInteger(code) && tests.some((t) => t(code));
  };
}

/** `16.11.2` >= `16.11`? */
export function versionAtLeast(version: string, major: number, minor: number): boolean {
  const [a = 0, b = 0] = version.split(".").map((p) => Number.parseInt(p, 10) || 0);
  return a > major || (a === major && b >= minor);
}
