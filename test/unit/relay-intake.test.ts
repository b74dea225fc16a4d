// Proves the intake's bounds as parts: byte budget, body rate watch, repeated headers, limits and defaults.
import { describe, expect, it } from "vitest";
import { BodyRateWatch, type WatchedBody } from "../../src/relay/body-rate";
import { ByteBudget } from "../../src/relay/byte-budget";
import { RELAY_DEFAULTS } from "../../src/relay/defaults";
import { resolveIntakeLimits } from "../../src/relay/intake-limits";
import { repeatedHeader } from "../../src/relay/repeated-headers";

describe("ByteBudget", () => {
  it("takes what fits, refuses what does not without taking any of it, and gets bytes back", () => {
    const b = new ByteBudget(100);
    expect(b.take(60)).toBe(true);
    expect(b.take(41)).toBe(false);
    expect(b.held).toBe(60);
    expect(b.take(40)).toBe(true);
    expect(b.take(1)).toBe(false);
    b.give(60);
    expect(b.held).toBe(40);
    expect(b.take(60)).toBe(true);
  });
});

describe("BodyRateWatch", () => {
  const body = (startedAt: number, received: number, ended: string[], name: string): WatchedBody => ({
    startedAt,
    received,
    onSlow: () => ended.push(name),
    socket: { destroy: () => ended.push(`${name} cut`) },
  });

  it("ends a body behind the average rate once its grace is over, once; forgets the others' ends", () => {
    const w = new BodyRateWatch(1000, 2000);
    const ended: string[] = [];
    const fast = body(0, 0, ended, "fast");
    const slow = body(0, 0, ended, "slow");
    const done = body(0, 0, ended, "done");
    for (const b of [fast, slow, done]) w.watch(b);
    w.sweep(1500); // within the grace: nothing is too slow yet
    expect(ended).toEqual([]);
    fast.received = 5000;
    slow.received = 2999;
    w.forget(done);
    w.sweep(3000);
    expect(ended).toEqual(["slow"]);
    expect(w.size).toBe(1);
    w.sweep(4000);
    expect(ended).toEqual(["slow"]);
    w.sweep(5001);
    expect(ended).toEqual(["slow", "fast"]);
    expect(w.size).toBe(0);
  });

  it("cuts the connections of the bodies still watched when it stops", () => {
    const w = new BodyRateWatch(1000, 2000);
    const ended: string[] = [];
    w.watch(body(0, 0, ended, "a"));
    w.watch(body(0, 0, ended, "b"));
    w.start();
    w.stop();
    expect(ended).toEqual(["a cut", "b cut"]);
    expect(w.size).toBe(0);
  });
});

describe("repeatedHeader", () => {
  it("names the first checked header sent twice for the receiver's kind, as code hosts spell it", () => {
    expect(repeatedHeader("GITHUB", { "x-github-event": ["push", "push"] })).toBe("X-GitHub-Event");
    expect(repeatedHeader("GITHUB", { "content-type": ["application/json", "text/plain"] })).toBe(
      "Content-Type",
    );
    expect(repeatedHeader("GITLAB", { "x-gitlab-token": ["a", "b"] })).toBe("X-Gitlab-Token");
    expect(repeatedHeader("BITBUCKETSERVER", { "x-request-id": ["a", "b"] })).toBe("X-Request-Id");
    expect(repeatedHeader("BITBUCKETCLOUD", { "x-request-uuid": ["a", "b"] })).toBe("X-Request-UUID");
    expect(
      repeatedHeader("GITHUB", { "x-github-event": ["push"], "x-event-key": ["a", "b"] }),
    ).toBeUndefined();
    expect(repeatedHeader("GITLAB", { "x-hub-signature": ["a", "b"] })).toBeUndefined();
  });
});

describe("resolveIntakeLimits", () => {
  it("defaults: 64 MiB unverified, 1024 connections, 10 KiB/s after 5 s", () => {
    expect(resolveIntakeLimits({}, 25 * 1024 * 1024)).toEqual({
      maxUnverifiedBytes: 64 * 1024 * 1024,
      maxConnections: 1024,
      minBodyRate: 10 * 1024,
      minBodyRateGraceMs: 5000,
    });
    expect(RELAY_DEFAULTS.maxUnverifiedBytes).toBe(67108864);
  });

  it("refuses a budget below the body limit and bounds that are not positive integers, naming the flag", () => {
    expect(() => resolveIntakeLimits({ maxUnverifiedBytes: 10 }, 11)).toThrow(
      "--max-unverified-bytes (10) is smaller than --max-body-bytes (11)",
    );
    expect(() => resolveIntakeLimits({ maxConnections: 1.5 }, 1)).toThrow(/--max-connections/);
    expect(() => resolveIntakeLimits({ minBodyRate: 0 }, 1)).toThrow(/--min-body-rate/);
    expect(() => resolveIntakeLimits({ minBodyRateGraceMs: -1 }, 1)).toThrow(/minBodyRateGraceMs/);
  });
});
