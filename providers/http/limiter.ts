/**
 * One limiter per remote origin, shared by every resource in the provider process: it caps
 * concurrent requests and, after a 429, holds every request to that origin until the server's
 * `Retry-After` has passed, so parallel resources do not each burn their retries.
 */
export class HostLimiter {
  private active = 0;
  private readonly waiting: Array<() => void> = [];
  private pausedUntil = 0;

  constructor(private readonly concurrency: number) {}

  /** Every request to the origin waits until `until` (epoch ms) at least. */
  pauseUntil(until: number): void {
    this.pausedUntil = Math.max(this.pausedUntil, until);
  }

  async run<T>(task: () => Promise<T>): Promise<T> {
    await this.acquire();
    try {
      const wait = this.pausedUntil - Date.now();
      if (wait > 0) await sleep(wait);
      return await task();
    } finally {
      this.release();
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
