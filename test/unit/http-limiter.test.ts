// Proves the per-origin limiter learns a server's budget from a 429 and never bursts past it.
// The per-origin limiter: after a 429 it learns what the server admits in a window and sends no
// more than that in any window, instead of releasing every queued request at once when the pause
// ends (which spends the budget in a burst and meets the next 429). Driven by a fake clock.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { HostLimiter, type Ticket } from "../../providers/http";

beforeEach(() => {
  vi.useFakeTimers({ now: 0 });
});
afterEach(() => {
  vi.useRealTimers();
});

/** Sends one request through the limiter at the current fake time; resolves with its ticket. */
function request(limiter: HostLimiter): Promise<Ticket> {
  return limiter.run(async (ticket) => ticket);
}

/** Starts `n` requests and records when each one is sent. */
function queue(limiter: HostLimiter, n: number): { sentAt: number[]; done: Promise<unknown> } {
  const sentAt: number[] = [];
  const done = Promise.all(
    Array.from({ length: n }, () =>
      limiter.run(async (t) => {
        sentAt.push(t.sentAt);
      }),
    ),
  );
  return { sentAt, done };
}

describe("HostLimiter", () => {
  it("after a 429, sends no more requests in any window than the server admitted in the one before", async () => {
    const limiter = new HostLimiter(100);
    await request(limiter);
    await vi.advanceTimersByTimeAsync(1000);
    for (let i = 0; i < 10; i++) await request(limiter);
    await vi.advanceTimersByTimeAsync(100);
    const refused = await request(limiter);
    // What send() does on a 429 with Retry-After: 1.
    limiter.pauseUntil(Date.now() + 1000);
    limiter.throttled(refused, 1000);
    // The ten at t=1000 were admitted; the one at t=0 lies outside the second before the refusal.
    expect(limiter.learned).toMatchObject({ limit: 10, windowMs: 1050 });

    const { sentAt, done } = queue(limiter, 25);
    await vi.advanceTimersByTimeAsync(5000);
    await done;
    // Nothing before the pause ends at 2100; then room for nine (the refused request at 1100 is in
    // the window until 2150), one more when it leaves, the next ten when those of 2100 leave.
    expect(sentAt.filter((t) => t < 2100)).toEqual([]);
    expect(sentAt.filter((t) => t === 2100)).toHaveLength(9);
    expect(sentAt.filter((t) => t > 2100 && t < 3151)).toEqual([2151]);
    expect(sentAt.filter((t) => t >= 3151 && t < 3202)).toHaveLength(9);
    // Never more than the budget in any window of 1050 ms.
    for (const t of sentAt) {
      expect(sentAt.filter((u) => u > t - 1050 && u <= t).length).toBeLessThanOrEqual(10);
    }
  });

  it("a 429 with few requests in its window (a sporadic one) keeps the budget at the most ever admitted in a window", async () => {
    const limiter = new HostLimiter(100);
    for (let i = 0; i < 30; i++) await request(limiter);
    await vi.advanceTimersByTimeAsync(2000);
    for (let i = 0; i < 2; i++) await request(limiter);
    const refused = await request(limiter);
    limiter.pauseUntil(Date.now() + 1000);
    limiter.throttled(refused, 1000);
    // Measuring only the window before the refusal would allow two requests a second from now on.
    expect(limiter.learned).toMatchObject({ limit: 30 });
    const { sentAt, done } = queue(limiter, 40);
    await vi.advanceTimersByTimeAsync(3000);
    await done;
    // At 3000 the window still holds the three sent at 2000.
    expect(sentAt.filter((t) => t === 3000)).toHaveLength(27);
  });

  it("learns nothing from a 429 before its own requests span a window: others spent that budget", async () => {
    const limiter = new HostLimiter(100);
    for (let i = 0; i < 3; i++) await request(limiter);
    await vi.advanceTimersByTimeAsync(10);
    const refused = await request(limiter);
    limiter.pauseUntil(Date.now() + 1000);
    limiter.throttled(refused, 1000);
    // A budget of three a second would hold the whole command to a fraction of the server's rate.
    expect(limiter.learned).toBeUndefined();
    const { sentAt, done } = queue(limiter, 20);
    await vi.advanceTimersByTimeAsync(1000);
    await done;
    expect(new Set(sentAt)).toEqual(new Set([1010]));
  });

  it("takes the window from Retry-After, a second at least, and forgets the budget a minute after the last 429", async () => {
    const limiter = new HostLimiter(100);
    await request(limiter);
    await vi.advanceTimersByTimeAsync(59_000);
    for (let i = 0; i < 4; i++) await request(limiter);
    const refused = await request(limiter);
    limiter.throttled(refused, 30_000);
    // Four admitted within the 30 s before; the margin is 2% of the window.
    expect(limiter.learned).toMatchObject({ limit: 4, windowMs: 30_600 });
    await vi.advanceTimersByTimeAsync(60_001);
    expect(limiter.learned).toBeUndefined();
  });
});
