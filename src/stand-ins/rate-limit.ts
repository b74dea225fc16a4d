// A request-rate limit for the stand-ins, shaped like Bitbucket Cloud's: a rolling window that admits
// at most `limit` requests, answering 429 beyond it (reference/codehost-apis.md section 3.5: "rolling
// one-hour window ... Exceeding -> 429"), scaled down to seconds so a benchmark meets it. The 429
// carries `Retry-After` in whole seconds, as Sourcegraph's does (reference/sourcegraph-api.md: "rate
// limit: 429 + Retry-After"); RFC 9110 delta-seconds are integers, so a wait shorter than a second
// is rounded up to 1. A refused request spends nothing of the budget, as in a token bucket, so a
// client that retries too early is refused again but not locked out.

export interface RateLimit {
  /** Requests admitted within any window. */
  readonly limit: number;
  /** The window's length; default 1000 ms (so `limit` is requests a second). */
  readonly windowMs?: number;
}

export class SlidingWindow {
  private readonly windowMs: number;
  /** Arrival times of the admitted requests still inside the window, oldest first. */
  private readonly admitted: number[] = [];

  constructor(private readonly rule: RateLimit) {
    if (!(rule.limit >= 1)) throw new Error(`rate limit: limit must be at least 1, got ${rule.limit}`);
    this.windowMs = rule.windowMs ?? 1000;
  }

  /** Admits a request arriving at `now` (undefined), or returns the `Retry-After` seconds to answer. */
  admit(now: number): number | undefined {
    while (this.admitted.length > 0 && this.admitted[0]! <= now - this.windowMs) this.admitted.shift();
    if (this.admitted.length < this.rule.limit) {
      this.admitted.push(now);
      return undefined;
    }
    // The next request is admitted once the oldest one leaves the window.
    const freeAt = this.admitted[0]! + this.windowMs;
    return Math.max(1, Math.ceil((freeAt - now) / 1000));
  }
}
