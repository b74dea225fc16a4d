import { request } from "undici";
import {
  type BackoffPolicy,
  backoffDelay,
  DEFAULT_BACKOFF,
  RETRYABLE_STATUSES,
  retryAfterMs,
} from "./backoff";
import { AmbiguousRequestError, type ConnectionAttempts, ConnectionError } from "./errors";
import { limiterFor, sleep, type Ticket } from "./limiter";
import { redact } from "./redact";

export type HttpMethod = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";

export interface HttpRequest {
  readonly method: HttpMethod;
  readonly url: string;
  readonly headers?: Record<string, string>;
  readonly body?: string | Uint8Array;
  /**
   * Whether sending twice is harmless. Defaults to true for GET, PUT and DELETE. A non-idempotent
   * request is never replayed after a failure that may have reached the server.
   */
  readonly idempotent?: boolean;
  /** Per attempt. Default: `SG_WEBHOOKS_HTTP_TIMEOUT_MS`, else 30 s. */
  readonly timeoutMs?: number;
  readonly backoff?: BackoffPolicy;
  /** Values to strip from every error message (tokens, passwords, webhook secrets). */
  readonly secrets?: ReadonlyArray<string | undefined>;
  /** Used in error messages, e.g. "Sourcegraph". */
  readonly service: string;
}

export interface HttpResponse {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: string;
  /** Attempts made, the first included. */
  readonly attempts: number;
}

/** Errors that happen before a request is written: replaying them is always safe. */
const NOT_SENT_CODES = new Set([
  "ECONNREFUSED",
  "ENOTFOUND",
  "EAI_AGAIN",
  "UND_ERR_CONNECT_TIMEOUT",
  "EHOSTUNREACH",
]);

function errorCode(err: unknown): string | undefined {
  const e = err as { code?: unknown; cause?: { code?: unknown }; name?: string };
  // AbortSignal.timeout() rejects with a DOMException whose numeric `code` means nothing here.
  if (e?.name === "TimeoutError" || e?.name === "AbortError") return "ETIMEDOUT";
  if (typeof e?.code === "string") return e.code;
  if (typeof e?.cause?.code === "string") return e.cause.code;
  return undefined;
}

export function defaultTimeoutMs(): number {
  const fromEnv = Number(process.env.SG_WEBHOOKS_HTTP_TIMEOUT_MS);
  return Number.isFinite(fromEnv) && fromEnv > 0 ? fromEnv : 30_000;
}

export function defaultBackoff(): BackoffPolicy {
  const base = Number(process.env.SG_WEBHOOKS_RETRY_BASE_MS);
  const attempts = Number(process.env.SG_WEBHOOKS_RETRY_ATTEMPTS);
  return {
    ...DEFAULT_BACKOFF,
    ...(Number.isFinite(base) && base >= 0 && process.env.SG_WEBHOOKS_RETRY_BASE_MS ? { baseMs: base } : {}),
    ...(Number.isInteger(attempts) && attempts > 0 ? { attempts } : {}),
  };
}

function flattenHeaders(raw: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(raw)) {
    if (v !== undefined) out[k.toLowerCase()] = Array.isArray(v) ? v.join(", ") : v;
  }
  return out;
}

/**
 * Sends one HTTP request with a timeout per attempt, the origin's shared limiter, and bounded
 * retries with jittered exponential backoff that honour `Retry-After` (429, 502, 503, 504 and
 * connection failures; never another 4xx). Every status is returned: callers map 4xx to errors
 * that name the fix. Throws `ConnectionError` when the server cannot be reached and
 * `AmbiguousRequestError` when a non-idempotent request may have been processed.
 */
export async function send(req: HttpRequest): Promise<HttpResponse> {
  const url = new URL(req.url);
  const limiter = limiterFor(url.origin);
  const policy = req.backoff ?? defaultBackoff();
  const timeoutMs = req.timeoutMs ?? defaultTimeoutMs();
  const idempotent =
    req.idempotent ?? (req.method === "GET" || req.method === "PUT" || req.method === "DELETE");
  const where = `${req.service} at ${url.origin}`;

  for (let attempt = 0; ; attempt++) {
    const last = attempt + 1 >= policy.attempts;
    let response: HttpResponse | undefined;
    let ticket: Ticket | undefined;
    try {
      response = await limiter.run(async (t) => {
        ticket = t;
        const res = await request(url, {
          method: req.method,
          headers: req.headers,
          body: req.body,
          signal: AbortSignal.timeout(timeoutMs),
        });
        const body = await res.body.text();
        return { status: res.statusCode, headers: flattenHeaders(res.headers), body, attempts: attempt + 1 };
      });
    } catch (err) {
      const code = errorCode(err) ?? "ERROR";
      const notSent = NOT_SENT_CODES.has(code);
      const detail = redact(String((err as Error)?.message ?? err), req.secrets ?? []);
      if (!notSent && !idempotent) {
        throw new AmbiguousRequestError(
          `${where} did not answer ${req.method} ${url.pathname} (${code}: ${detail}); it may have been processed`,
          url.href,
          { cause: err },
        );
      }
      if (last) {
        const failure: ConnectionAttempts =
          code === "ETIMEDOUT"
            ? { reason: "timeout", what: `timed out after ${timeoutMs} ms`, attempts: attempt + 1 }
            : code === "ECONNREFUSED"
              ? { reason: "refused", what: "refused the connection", attempts: attempt + 1 }
              : {
                  reason: "unreachable",
                  what: `could not be reached (${code}: ${detail})`,
                  attempts: attempt + 1,
                };
        throw new ConnectionError(where, url.href, failure, { cause: err });
      }
      await sleep(backoffDelay(attempt, policy));
      continue;
    }

    if (!RETRYABLE_STATUSES.has(response.status) || last) return response;
    // A gateway error on a non-idempotent request may hide a processed request behind it.
    if (!idempotent && (response.status === 502 || response.status === 504)) {
      throw new AmbiguousRequestError(
        `${where} answered ${response.status} to ${req.method} ${url.pathname}; it may have been processed`,
        url.href,
      );
    }
    const serverWait = retryAfterMs(response.headers);
    const wait = Math.min(policy.maxDelayMs, Math.max(serverWait ?? 0, backoffDelay(attempt, policy)));
    if (response.status === 429 && serverWait !== undefined) {
      limiter.pauseUntil(Date.now() + wait);
      if (ticket) limiter.throttled(ticket, serverWait);
    }
    await sleep(wait);
  }
}
