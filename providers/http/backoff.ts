/** Statuses that mean "not processed, try again later"; other 4xx will not change on a retry. */
export const RETRYABLE_STATUSES: ReadonlySet<number> = new Set([429, 502, 503, 504]);

export interface BackoffPolicy {
  /** Attempts in all, the first included. */
  readonly attempts: number;
  /** First backoff; it doubles on each retry. */
  readonly baseMs: number;
  /** No single wait is longer than this, `Retry-After` included. */
  readonly maxDelayMs: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { attempts: 5, baseMs: 250, maxDelayMs: 30_000 };

/** Exponential backoff with full jitter (AWS architecture blog, "Exponential Backoff And Jitter"). */
export function backoffDelay(
  attempt: number,
  policy: BackoffPolicy,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseMs * 2 ** attempt);
  return Math.floor(random() * ceiling);
}

/**
 * `Retry-After` is either delta-seconds or an HTTP date (RFC 9110 section 10.2.3). GitLab also sends
 * `RateLimit-Reset` (epoch seconds); both are honoured. Returns milliseconds, or undefined.
 */
export function retryAfterMs(headers: Record<string, string>, now: number = Date.now()): number | undefined {
  const value = headers["retry-after"];
  if (value !== undefined && value.trim() !== "") {
    const trimmed = value.trim();
    if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.ceil(Number(trimmed) * 1000);
    const at = Date.parse(trimmed);
    if (!Number.isNaN(at)) return Math.max(0, at - now);
  }
  const reset = headers["ratelimit-reset"];
  if (reset !== undefined && /^\d+$/.test(reset.trim())) {
    const seconds = Number(reset.trim());
    // Small values are deltas (IETF draft), large ones epoch seconds (GitLab).
    return seconds > 1e9 ? Math.max(0, seconds * 1000 - now) : seconds * 1000;
  }
  return undefined;
}
