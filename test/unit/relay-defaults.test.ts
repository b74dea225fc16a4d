// Proves that the relay's defaults are written once: every default `sg-webhooks serve` shows and
// parses is RELAY_DEFAULTS' value, and each default duration's text is its milliseconds.
import { Command } from "commander";
import { describe, expect, it } from "vitest";
import { registerServe } from "../../src/cli/commands/serve";
import { RELAY_DEFAULTS } from "../../src/relay/defaults";
import { parseDuration } from "../../src/relay/options";

function serveDefaults(): Record<string, unknown> {
  const program = new Command();
  registerServe(program);
  const serve = program.commands.find((c) => c.name() === "serve")!;
  return Object.fromEntries(
    serve.options.filter((o) => o.defaultValue !== undefined).map((o) => [o.attributeName(), o.defaultValue]),
  );
}

describe("RELAY_DEFAULTS", () => {
  it("is what serve's flags default to, in the flags' own notation", () => {
    const d = RELAY_DEFAULTS;
    expect(serveDefaults()).toEqual({
      listen: d.listen,
      adminListen: d.adminListen,
      refreshInterval: d.refreshInterval.text,
      rotationGrace: d.rotationGrace.text,
      maxBodyBytes: String(d.maxBodyBytes),
      maxUnverifiedBytes: String(d.maxUnverifiedBytes),
      maxConnections: String(d.maxConnections),
      minBodyRate: String(d.minBodyRate),
      maxAge: d.maxAge.text,
      retryBase: d.retryBase.text,
      retryMaxDelay: d.retryMaxDelay.text,
      forwardTimeout: d.forwardTimeout.text,
      concurrency: String(d.concurrency),
      dedupeWindow: d.dedupeWindow.text,
      shutdownGrace: d.shutdownGrace.text,
      logLevel: d.logLevel,
    });
  });

  it("holds each duration as the text serve shows and the milliseconds the relay uses, which agree", () => {
    const durations = Object.entries(RELAY_DEFAULTS).filter(
      (e): e is [string, { ms: number; text: string }] => typeof e[1] === "object",
    );
    expect(durations.map(([name]) => name).sort()).toEqual(
      [
        "dedupeWindow",
        "forwardTimeout",
        "maxAge",
        "poll",
        "pruneInterval",
        "refreshInterval",
        "retryBase",
        "retryMaxDelay",
        "rotationGrace",
        "shutdownGrace",
      ].sort(),
    );
    for (const [name, { ms, text }] of durations)
      expect([name, parseDuration(text, name)]).toEqual([name, ms]);
    expect(RELAY_DEFAULTS.maxAge.ms).toBe(24 * 3_600_000);
    expect(Object.isFrozen(RELAY_DEFAULTS)).toBe(true);
  });
});
