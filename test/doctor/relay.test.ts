// doctor and redeliver with the relay between GitHub's stand-in and Sourcegraph's: the probe is
// followed through the relay's records (read from its data directory, read-only) into Sourcegraph's
// logs; a relay that is down is relay_unhealthy; and after Sourcegraph was down long enough for the
// relay to give up, redeliver reads the relay's dead letters, GitHub sends them again, the relay
// revives them, and Sourcegraph receives each exactly once.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { github as githubEvents } from "../../providers/events";
import { openRelayRecords, runDoctor, runRedeliver } from "../../src/doctor";
import { type Relay, startRelay } from "../../src/relay";
import { GITHUB_ADMIN_TOKEN, type GitHubFake, startGitHubFake } from "../../src/stand-ins/github";
import { type SourcegraphFake, startSourcegraphFake } from "../../src/stand-ins/sourcegraph";
import { checkOf, outputs, problems, quick, sourcegraphEnv } from "./helpers";

const SECRET = "doctor-relay-secret-0123456789abcdef";
const EVENTS = [...githubEvents.batchChanges, ...githubEvents.push];

let sg: SourcegraphFake;
let gh: GitHubFake;
let relay: Relay;
let dataDir: string;
let plan: string;
let hookId: number;

beforeEach(async () => {
  sg = await startSourcegraphFake();
  gh = await startGitHubFake({ orgs: ["acme"] });
  sourcegraphEnv(sg.url);
  vi.stubEnv("GITHUB_TOKEN", GITHUB_ADMIN_TOKEN);
  const receiver = sg.seed({
    name: "prod-github",
    codeHostKind: "GITHUB",
    codeHostURN: gh.url,
    secret: SECRET,
  });
  sg.addCodeHostConnection({ kind: "GITHUB", url: gh.url });
  dataDir = mkdtempSync(join(tmpdir(), "doctor-relay-"));
  relay = await startRelay({
    listen: { host: "127.0.0.1", port: 0 },
    forwardTo: sg.url,
    receivers: { list: [{ uuid: receiver.uuid, codeHostKind: "GITHUB", secrets: [SECRET] }] },
    dataDir,
    retryBaseMs: 5,
    retryMaxDelayMs: 50,
    maxAgeMs: 400,
    logger: pino({ level: "silent" }),
  });
  const url = `${sg.url}/.api/webhooks/${receiver.uuid}`;
  const deliveryUrl = `${relay.url}/.api/webhooks/${receiver.uuid}`;
  hookId = gh.addHook("acme", { url: deliveryUrl, secret: SECRET, events: EVENTS, contentType: "json" }).id;
  await gh.settled();
  const connection = "github/ghe";
  plan = outputs(
    [{ connection, codeHostKind: "GITHUB", codeHostUrn: gh.url, uuid: receiver.uuid, url, deliveryUrl }],
    [
      {
        connection,
        codeHost: "github",
        kind: "organization",
        target: "acme",
        id: String(hookId),
        receiverUuid: receiver.uuid,
        deliveryUrl,
        apiUrl: gh.apiUrl,
        events: EVENTS,
      },
    ],
  );
});

afterEach(async () => {
  vi.unstubAllEnvs();
  await relay.close().catch(() => undefined);
  await Promise.all([sg.close(), gh.close()]);
  rmSync(dataDir, { recursive: true, force: true });
});

describe("doctor through the relay", () => {
  it("passes every check, the probe followed through the relay's records into Sourcegraph", async () => {
    const report = await runDoctor(quick(plan, { relayDataDir: dataDir }));
    expect(problems(report)).toEqual([]);
    expect(checkOf(report, "relay")).toMatchObject({ status: "ok", target: `relay ${relay.url}` });
    expect(checkOf(report, "probe").message).toMatch(/the relay forwarded it and Sourcegraph answered 200/);
  });

  it("without --relay-data-dir the relay's history is skipped, naming the flag", async () => {
    const report = await runDoctor(quick(plan));
    const history = report.checks.find((c) => c.check === "history" && c.target.startsWith("relay "));
    expect(history).toMatchObject({ status: "skip" });
    expect(history!.fix).toContain("--relay-data-dir");
    expect(report.ok).toBe(true);
  });

  it("a relay that is down: relay_unhealthy, and the probe is not delivered", async () => {
    await relay.close();
    const report = await runDoctor(quick(plan, { relayDataDir: dataDir }));
    expect(checkOf(report, "relay")).toMatchObject({ status: "fail", code: "relay_unhealthy" });
    expect(checkOf(report, "probe")).toMatchObject({ code: "probe_not_delivered" });
  });

  it("a directory without a relay store is a usage error", async () => {
    const empty = mkdtempSync(join(tmpdir(), "doctor-norelay-"));
    try {
      await expect(runDoctor(quick(plan, { relayDataDir: empty }))).rejects.toThrow(/relay\.db is missing/);
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });

  it("the store is read without writing to it", async () => {
    const records = openRelayRecords(dataDir);
    try {
      const all = await records.records({}, 10);
      expect(all.length).toBeGreaterThan(0);
      expect(all.every((r) => !("body" in r) && !("headers" in r))).toBe(true);
    } finally {
      await records.close();
    }
  });
});

describe("redeliver through the relay", () => {
  it("resends what the relay gave up on, judged from its records, each once; a second run sends nothing", async () => {
    // The hook's creation ping is forwarded before the outage.
    await vi.waitFor(() =>
      expect(sg.deliveries.some((d) => d.headers["x-github-event"] === "ping")).toBe(true),
    );
    await sg.refuseConnections();
    const missed: string[] = [];
    for (let i = 0; i < 5; i++)
      missed.push((await gh.emit("acme", "push", { ref: `refs/heads/r${i}` }))[0]!.guid);
    // GitHub saw the relay's 202 for each: only the relay knows they never reached Sourcegraph.
    expect(
      gh
        .deliveries(hookId)
        .filter((d) => missed.includes(d.guid))
        .every((d) => d.statusCode === 202),
    ).toBe(true);
    const records = openRelayRecords(dataDir);
    try {
      await vi.waitFor(
        async () => expect((await records.records({ states: ["expired"] }, 10)).length).toBe(5),
        { timeout: 10_000, interval: 100 },
      );
    } finally {
      await records.close();
    }
    await sg.acceptConnections();

    const first = await runRedeliver(quick(plan, { relayDataDir: dataDir }));
    expect(first.actions.map((a) => a.outcome)).toEqual(Array(5).fill("redelivered"));
    await gh.settled();
    const received = () =>
      sg.deliveries
        .filter((d) => missed.includes(String(d.headers["x-github-delivery"])))
        .map((d) => d.status);
    await vi.waitFor(() => expect(received()).toEqual(Array(5).fill(200)), { timeout: 10_000, interval: 50 });

    const second = await runRedeliver(quick(plan, { relayDataDir: dataDir }));
    expect(second.actions).toEqual([expect.objectContaining({ outcome: "nothing" })]);
    await gh.settled();
    expect(received()).toHaveLength(5);
  });

  it("through a relay, redeliver needs the relay's records", async () => {
    const report = await runRedeliver(quick(plan));
    expect(report.ok).toBe(false);
    expect(report.actions[0]).toMatchObject({
      outcome: "failed",
      fix: expect.stringContaining("--relay-data-dir"),
    });
  });
});
