// How the GitHub stand-in delivers: a real POST to the hook's URL, signed as GitHub signs
// (`X-Hub-Signature-256: sha256=<HMAC-SHA256 of the body>`, and the SHA-1 `X-Hub-Signature` kept
// "for compatibility"), with GitHub's headers (reference/codehost-apis.md 1.8), the body as the
// hook's content type asks (`form` is `payload=<url-encoded JSON>`), GitHub's timeout (10 s, 30 s on
// Enterprise Server), and the answer recorded as GitHub records it (status_code, status "OK" or why
// not, duration, delivered_at). The stand-in never connects anywhere but loopback.
import { createHmac, randomBytes } from "node:crypto";
import { isLoopback } from "../loopback";
import { type GitHubHookRecord, isoSeconds } from "./model";

export { isLoopback };

/** One attempt to deliver one event to one hook, as GitHub keeps it. */
export interface GitHubDeliveryRecord {
  readonly id: number;
  /** The event's ID (`X-GitHub-Delivery`): shared by every hook the event went to and by redeliveries. */
  readonly guid: string;
  readonly hookId: number;
  readonly event: string;
  readonly action: string | null;
  readonly redelivery: boolean;
  /** Epoch ms when the attempt started; `delivered_at` is this in seconds. */
  at: number;
  /** Seconds. */
  duration: number;
  /** "OK", or GitHub's words for the failure. */
  status: string;
  /** The receiver's status; 0 when none came (no connection, timeout). */
  statusCode: number;
  readonly url: string;
  readonly repositoryId: number | null;
  readonly request: { readonly headers: Record<string, string>; readonly payload: unknown };
  response: { headers: Record<string, string>; payload: string | null };
}

/** What an event carries, kept so that a redelivery sends the same payload. */
export interface EventSpec {
  readonly guid: string;
  readonly event: string;
  readonly payload: unknown;
  readonly repositoryId: number | null;
  /** The organization's or repository's ID (`X-GitHub-Hook-Installation-Target-ID`). */
  readonly targetId: number;
}

export interface DeliverOptions {
  readonly timeoutMs: number;
  /** GitHub Enterprise Server adds its version and host headers. */
  readonly enterprise?: { readonly version: string; readonly host: string };
}

const HOOKSHOT = `GitHub-Hookshot/${randomBytes(4).toString("hex").slice(0, 7)}`;

function hmac(alg: "sha1" | "sha256", secret: string, body: string): string {
  return `${alg}=${createHmac(alg, secret).update(body, "utf8").digest("hex")}`;
}

/** Why a fetch failed, in GitHub's words where it has some. */
function failureText(err: unknown): string {
  const e = err as { name?: string; cause?: { code?: string } };
  if (e?.name === "TimeoutError" || e?.name === "AbortError") return "timed out";
  const code = e?.cause?.code;
  if (code === "ECONNREFUSED" || code === "ECONNRESET" || code === "ENOTFOUND" || code === "EHOSTUNREACH")
    return "failed to connect";
  return "failed to connect";
}

/**
 * Sends `spec` to `hook` once and returns the record (not yet stored: the caller gives it an ID).
 * Signs with the hook's secret at the time of sending.
 */
export async function attempt(
  hook: GitHubHookRecord,
  spec: EventSpec,
  options: DeliverOptions,
): Promise<Omit<GitHubDeliveryRecord, "id" | "redelivery">> {
  const json = JSON.stringify(spec.payload);
  const body = hook.contentType === "form" ? `payload=${encodeURIComponent(json)}` : json;
  const headers: Record<string, string> = {
    Accept: "*/*",
    "Content-Type": hook.contentType === "form" ? "application/x-www-form-urlencoded" : "application/json",
    "User-Agent": HOOKSHOT,
    "X-GitHub-Delivery": spec.guid,
    "X-GitHub-Event": spec.event,
    "X-GitHub-Hook-ID": String(hook.id),
    "X-GitHub-Hook-Installation-Target-ID": String(spec.targetId),
    "X-GitHub-Hook-Installation-Target-Type": hook.target.kind,
  };
  if (options.enterprise) {
    headers["X-GitHub-Enterprise-Version"] = options.enterprise.version;
    headers["X-GitHub-Enterprise-Host"] = options.enterprise.host;
  }
  if (hook.secret !== "") {
    headers["X-Hub-Signature"] = hmac("sha1", hook.secret, body);
    headers["X-Hub-Signature-256"] = hmac("sha256", hook.secret, body);
  }
  const action =
    spec.payload && typeof spec.payload === "object" && "action" in spec.payload
      ? String((spec.payload as { action: unknown }).action)
      : null;
  const started = Date.now();
  const base = {
    guid: spec.guid,
    hookId: hook.id,
    event: spec.event,
    action,
    at: started,
    url: hook.url,
    repositoryId: spec.repositoryId,
    request: { headers, payload: spec.payload },
  };
  const done = (statusCode: number, status: string, response: GitHubDeliveryRecord["response"]) => ({
    ...base,
    duration: (Date.now() - started) / 1000,
    status,
    statusCode,
    response,
  });
  if (!isLoopback(hook.url)) {
    return done(0, "refused by the stand-in: it delivers only to loopback addresses", {
      headers: {},
      payload: null,
    });
  }
  try {
    const res = await fetch(hook.url, {
      method: "POST",
      headers,
      body,
      redirect: "manual",
      signal: AbortSignal.timeout(options.timeoutMs),
    });
    const text = await res.text();
    const responseHeaders: Record<string, string> = {};
    res.headers.forEach((v, k) => {
      responseHeaders[k] = v;
    });
    const ok = res.status >= 200 && res.status < 300;
    return done(res.status, ok ? "OK" : `Invalid HTTP Response: ${res.status}`, {
      headers: responseHeaders,
      payload: text,
    });
  } catch (err) {
    return done(0, failureText(err), { headers: {}, payload: null });
  }
}

/** The list item (`hook-delivery-item`). */
export function renderDeliveryItem(d: GitHubDeliveryRecord): Record<string, unknown> {
  return {
    id: d.id,
    guid: d.guid,
    delivered_at: isoSeconds(d.at),
    redelivery: d.redelivery,
    duration: d.duration,
    status: d.status,
    status_code: d.statusCode,
    event: d.event,
    action: d.action,
    installation_id: null,
    repository_id: d.repositoryId,
    throttled_at: null,
  };
}

/** One delivery (`hook-delivery`): the item plus its URL, request and response. */
export function renderDelivery(d: GitHubDeliveryRecord): Record<string, unknown> {
  return {
    ...renderDeliveryItem(d),
    url: d.url,
    request: { headers: { ...d.request.headers }, payload: d.request.payload },
    response: { headers: { ...d.response.headers }, payload: d.response.payload },
  };
}
