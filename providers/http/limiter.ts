/**
 * One limiter per remote origin, shared by every resource in the provider process. It caps
 * concurrent requests; after a 429 it holds every request to that origin until the server's
 * `Retry-After` has passed, so parallel resources do not each burn their retries; and from then on
 * it sends no more requests in any window than the server was seen to admit in one.
 *
 * The budget is what keeps a rate-limited run near the server's rate. Without it, every pause ends
 * with all the queued requests at once: the budget is spent within a fraction of the window, the
 * next 429 comes, and since `Retry-After` counts whole seconds the pause outlasts the window (in the
 * provisioning benchmark, 50 requests a second and 25 ms round trips, each second of budget took 1.16
 * s, and the requests refused on the way each waited a second more). It is learned from 429s
 * alone, so it needs no vendor's rate-limit headers. Against a rolling window it holds a run at
 * the server's rate; against a fixed window or a token bucket with a large burst it can be above
 * what the server sustains, and then each 429 still pauses the origin as before.
 */
export class HostLimiter {
  private active = 0;
  private readonly waiting: Array<() => void> = [];
  private pausedUntil = 0;
  /** Requests sent, oldest first, up to an hour back: what a 429 is measured against. */
  private readonly sent: Ticket[] = [];
  private firstSentAt: number | undefined;
  private budget: Budget | undefined;

  constructor(
    private readonly concurrency: number,
    private readonly now: () => number = () => Date.now(),
  ) {}

  /** Every request to the origin waits until `until` (epoch ms) at least. */
  pauseUntil(until: number): void {
    this.pausedUntil = Math.max(this.pausedUntil, until);
  }

  /** The budget learned from 429s, while it lasts. */
  get learned(): Readonly<Budget> | undefined {
    return this.budget && this.now() < this.budget.until ? this.budget : undefined;
  }

  /** Runs `task` (which sends one request) once a concurrency slot, the pause and the budget allow. */
  async run<T>(task: (ticket: Ticket) => Promise<T>): Promise<T> {
    await this.acquire();
    try {
      await this.turn();
      // Recorded before the first await, so the next request's turn already counts this one.
      const ticket: Ticket = { sentAt: this.now(), refused: false };
      this.record(ticket);
      return await task(ticket);
    } finally {
      this.release();
    }
  }

  /**
   * The server refused the request of `ticket` with 429 and `Retry-After` (ms). The most it has
   * admitted within one window (the wait taken as the window, a second at least) is its budget:
   * a rate limit admits up to its budget and refuses beyond it, while a refusal that comes with
   * few requests in the window (right after a pause, or a sporadic one from a proxy) says nothing
   * about what the server admits once it is past. Requests whose answers are still on the way
   * count as admitted: they arrived before the refused one. Nothing is learned while this process
   * has not been sending for a whole window: the server counted requests it never saw (an earlier
   * command's, another client's), and a budget measured on part of a window would hold every later
   * request to a fraction of the rate.
   */
  throttled(ticket: Ticket, retryAfterMs: number): void {
    ticket.refused = true;
    const windowMs = Math.max(1000, retryAfterMs);
    if (this.firstSentAt === undefined || this.firstSentAt > ticket.sentAt - windowMs) return;
    const peak = this.peakAdmitted(windowMs, ticket);
    // Nothing admitted: another client spent the budget; there is nothing to learn.
    if (peak === 0) return;
    const now = this.now();
    const current = this.learned;
    // Several 429s of one burst each measure it (a refusal not yet known counts as admitted): keep
    // the smallest.
    const sameEpisode = current !== undefined && now - current.learnedAt < current.windowMs;
    this.budget = {
      limit: sameEpisode ? Math.min(current.limit, peak) : peak,
      // A margin for the clocks: our send times are not the server's arrival times.
      windowMs: windowMs + Math.max(WINDOW_MARGIN_MS, windowMs * 0.02),
      learnedAt: now,
      until: now + Math.max(BUDGET_MEMORY_MS, 2 * windowMs),
    };
  }

  /** The most requests sent before `refused` and not refused that fit in one window of `windowMs`. */
  private peakAdmitted(windowMs: number, refused: Ticket): number {
    let peak = 0;
    let inWindow = 0;
    let first = 0;
    const admitted = this.sent.filter((t) => !t.refused && t !== refused && t.sentAt <= refused.sentAt);
    for (const t of admitted) {
      inWindow++;
      while (admitted[first]!.sentAt <= t.sentAt - windowMs) {
        first++;
        inWindow--;
      }
      peak = Math.max(peak, inWindow);
    }
    return peak;
  }

  /** Waits for the end of any pause and for room in the learned budget. */
  private async turn(): Promise<void> {
    for (;;) {
      const now = this.now();
      let at = Math.max(now, this.pausedUntil);
      const budget = this.learned;
      if (budget) {
        // The oldest send that still fills the budget: the next request may go when it leaves the window.
        const since = now - budget.windowMs;
        let inWindow = 0;
        let i = this.sent.length - 1;
        for (; i >= 0 && this.sent[i]!.sentAt > since; i--) inWindow++;
        if (inWindow >= budget.limit) {
          const blocking = this.sent[i + 1 + inWindow - budget.limit]!;
          at = Math.max(at, blocking.sentAt + budget.windowMs + 1);
        }
      }
      if (at <= now) return;
      await sleep(at - now);
    }
  }

  private record(ticket: Ticket): void {
    this.firstSentAt ??= ticket.sentAt;
    this.sent.push(ticket);
    const horizon = ticket.sentAt - HISTORY_MS;
    while (this.sent.length > 0 && (this.sent[0]!.sentAt <= horizon || this.sent.length > HISTORY_MAX)) {
      this.sent.shift();
    }
  }

  private acquire(): Promise<void> {
    if (this.active < this.concurrency) {
      this.active++;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  private release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.active--;
  }
}

/** One request through the limiter. */
export interface Ticket {
  readonly sentAt: number;
  refused: boolean;
}

/** At most `limit` requests in any `windowMs`, learned at `learnedAt`, until `until` (epoch ms). */
export interface Budget {
  readonly limit: number;
  readonly windowMs: number;
  readonly learnedAt: number;
  readonly until: number;
}

/** Added to a learned window: timers fire late, and a request on the window's edge would be refused. */
const WINDOW_MARGIN_MS = 50;
/** How long a budget lasts after the last 429: a provider process lives for one pulumi command. */
const BUDGET_MEMORY_MS = 60_000;
/** Bitbucket Cloud counts over a rolling hour (reference/codehost-apis.md section 3.5). */
const HISTORY_MS = 3_600_000;
const HISTORY_MAX = 10_000;

const limiters = new Map<string, HostLimiter>();

/** The process-wide limiter of an origin (`https://host:port`). */
export function limiterFor(origin: string, concurrency = 8): HostLimiter {
  let limiter = limiters.get(origin);
  if (!limiter) {
    limiter = new HostLimiter(concurrency);
    limiters.set(origin, limiter);
  }
  return limiter;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
