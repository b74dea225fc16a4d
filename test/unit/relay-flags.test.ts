// Proves serve's flags parse with messages that name the flag, and each default is written once.
// Every default `sg-webhooks serve` shows and parses is RELAY_DEFAULTS' value, and each default
// duration's text is its milliseconds.
import { Command } from "commander";
import { describe, expect, it } from "vitest";
import { registerServe } from "../../src/cli/commands/serve";
import { RELAY_DEFAULTS } from "../../src/relay/defaults";
import { parseDuration, parseListen, parseLogLevel, parseSourcegraphUrl } from "../../src/relay/options";

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
      lease: d.lease.text,
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
        "lease",
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

describe("serve's flags", () => {
  it("parses listen addresses and durations, with messages naming the flag", () => {
    expect(parseListen("0.0.0.0:8080", "--listen")).toEqual({ host: "0.0.0.0", port: 8080 });
    expect(parseListen("[::1]:9464", "--admin-listen")).toEqual({ host: "::1", port: 9464 });
    expect(parseListen(":80", "--listen")).toEqual({ host: "0.0.0.0", port: 80 });
    expect(() => parseListen("8080", "--listen")).toThrow('--listen "8080" must be HOST:PORT');
    expect(parseDuration("24h", "--max-age")).toBe(86_400_000);
    expect(parseDuration("250ms", "x")).toBe(250);
    expect(parseDuration("1.5s", "x")).toBe(1500);
    expect(() => parseDuration("soon", "--max-age")).toThrow('--max-age "soon" must be a duration');
  });

  it("Sourcegraph's URL: no credentials (never echoed), no /.api path; log levels listed", () => {
    expect(parseSourcegraphUrl("https://sg.example.com/", "--forward-to")).toBe("https://sg.example.com");
    expect(parseSourcegraphUrl("https://sg.example.com/sourcegraph", "--forward-to")).toBe(
      "https://sg.example.com/sourcegraph",
    );
    for (const url of [
      "https://relay:s3cret-pw@sg.example.com",
      "https://s3cret-pw@sg.example.com/",
      "http://:s3cret-pw@sg",
    ]) {
      let message = "";
      try {
        parseSourcegraphUrl(url, "--forward-to");
      } catch (err) {
        message = (err as Error).message;
      }
      expect(message).toMatch(/^--forward-to must not carry a user or password \(http/);
      expect(message).toContain("a proxy that adds its authentication header itself");
      expect(message).not.toContain("s3cret-pw");
    }
    expect(() => parseSourcegraphUrl("https://sg.example.com/.api/webhooks", "--forward-to")).toThrow(
      '--forward-to "https://sg.example.com/.api/webhooks" must be Sourcegraph\'s base URL, without /.api/webhooks: the relay appends /.api/... itself; give https://sg.example.com',
    );
    expect(() => parseSourcegraphUrl("https://sg.example.com/sg/.api", "--sourcegraph-url")).toThrow(
      "without /.api: the relay appends /.api/... itself; give https://sg.example.com/sg",
    );
    // A path that merely starts like it is someone's choice.
    expect(parseSourcegraphUrl("https://sg.example.com/.apis", "--forward-to")).toBe(
      "https://sg.example.com/.apis",
    );
    // A value that does not even parse is quoted without its user and password.
    expect(() => parseSourcegraphUrl("sg.example.com//u:s3cret-pw@x", "--forward-to")).toThrow(
      '--forward-to "sg.example.com//x" is not a URL',
    );
    expect(() => parseSourcegraphUrl("ftp://u:s3cret-pw@x", "--forward-to")).toThrow(
      '--forward-to "ftp://x" must be an http(s) URL',
    );
    expect(parseLogLevel("WARN", "--log-level")).toBe("warn");
    expect(() => parseLogLevel("verbose", "--log-level")).toThrow(
      '--log-level "verbose" is not a log level; give one of trace, debug, info, warn, error, fatal, silent',
    );
  });
});
