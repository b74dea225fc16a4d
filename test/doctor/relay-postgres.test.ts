// Proves doctor and redeliver read the relay's records from PostgreSQL (--database-url or SG_WEBHOOKS_DATABASE_URL), read-only, without printing the password.
// A relay on a real PostgreSQL between GitHub's stand-in and Sourcegraph's: doctor (the built CLI)
// follows its probe through the relay's records in the database; after Sourcegraph was down long
// enough for the relay to give up, redeliver reads the expired deliveries from the database and
// GitHub sends them again, each once.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import pino from "pino";
import { afterAll, afterEach, beforeAll, beforeEach, expect, it, vi } from "vitest";
import { github as githubEvents } from "../../providers/events";
import { runRedeliver } from "../../src/doctor";
import { openDatabaseRecords } from "../../src/doctor/relay-store";
import { type Relay, startRelay } from "../../src/relay";
import { storeTarget } from "../../src/relay/store-target";
import { GITHUB_ADMIN_TOKEN, type GitHubFake, startGitHubFake } from "../../src/stand-ins/github";
import { ADMIN_TOKEN, type SourcegraphFake, startSourcegraphFake } from "../../src/stand-ins/sourcegraph";
import { describePostgres } from "../harness/postgres";
import { cli, databaseWithPassword, printed } from "../relay/serve-process";
import { outputs, quick, sourcegraphEnv } from "./helpers";

const SECRET = "doctor-relay-pg-secret-0123456789abcdef";
const PASSWORD = "doctor-pg-Pa55word-7c1e";
const EVENTS = [...githubEvents.batchChanges, ...githubEvents.push];

describePostgres("doctor and redeliver with the relay's records in PostgreSQL", (postgres) => {
  let url: string;
  let sg: SourcegraphFake;
  let gh: GitHubFake;
  let relay: Relay;
  let plan: string;
  let planFile: string;
  let hookId: number;
  let n = 0;
  const dirs: string[] = [];

  beforeAll(async () => {
    url = await databaseWithPassword(postgres.server.url, "doctor_relay", "doctor_relay", PASSWORD);
  });

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
    // A schema of their own per test: each starts from an empty store.
    relay = await startRelay({
      listen: { host: "127.0.0.1", port: 0 },
      forwardTo: sg.url,
      receivers: { list: [{ uuid: receiver.uuid, codeHostKind: "GITHUB", secrets: [SECRET] }] },
      database: { url, schema: `doctor_${++n}` },
      retryBaseMs: 5,
      retryMaxDelayMs: 50,
      maxAgeMs: 400,
      logger: pino({ level: "silent" }),
    });
    const deliveryUrl = `${relay.url}/.api/webhooks/${receiver.uuid}`;
    hookId = gh.addHook("acme", { url: deliveryUrl, secret: SECRET, events: EVENTS, contentType: "json" }).id;
    await gh.settled();
    const connection = "github/ghe";
    plan = outputs(
      [
        {
          connection,
          codeHostKind: "GITHUB",
          codeHostUrn: gh.url,
          uuid: receiver.uuid,
          url: `${sg.url}/.api/webhooks/${receiver.uuid}`,
          deliveryUrl,
        },
      ],
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
    const dir = mkdtempSync(join(tmpdir(), "doctor-relay-pg-"));
    dirs.push(dir);
    planFile = join(dir, "outputs.json");
    writeFileSync(planFile, plan);
  });

  afterEach(async () => {
    vi.unstubAllEnvs();
    await relay.close().catch(() => undefined);
    await Promise.all([sg.close(), gh.close()]);
  });

  afterAll(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  /** The CLI's environment: the stand-ins' credentials, and the database URL unless told otherwise. */
  const env = (more: NodeJS.ProcessEnv = {}) => ({
    SRC_ENDPOINT: sg.url,
    SRC_ACCESS_TOKEN: ADMIN_TOKEN,
    GITHUB_TOKEN: GITHUB_ADMIN_TOKEN,
    ...more,
  });

  it("doctor (the CLI) follows the probe through the relay's records in the database, from SG_WEBHOOKS_DATABASE_URL", async () => {
    const run = await cli(
      ["doctor", "--outputs", planFile, "--database-schema", `doctor_${n}`, "--wait", "15s", "--json"],
      env({
        SG_WEBHOOKS_DATABASE_URL: url,
      }),
    );
    expect(run.code, run.stdout + run.stderr).toBe(0);
    const report = JSON.parse(run.stdout) as {
      checks: { check: string; status: string; message: string; target: string }[];
    };
    const probe = report.checks.find((c) => c.check === "probe")!;
    expect(probe.message).toMatch(/the relay forwarded it and Sourcegraph answered 200/);
    const history = report.checks.find((c) => c.check === "history" && c.target.startsWith("relay "))!;
    expect(history).toMatchObject({
      status: "ok",
      message: expect.stringMatching(/^no dead letter for this receiver/),
    });
  });

  it("doctor refuses both stores, and a database without the relay's tables, which it does not create (read-only)", async () => {
    const both = await cli(
      ["doctor", "--outputs", planFile, "--relay-data-dir", "/tmp", "--database-url", url],
      env(),
    );
    expect(both.code).toBe(2);
    expect(both.stderr).toContain(
      "give either --relay-data-dir DIR (SQLite, one relay) or --database-url URL",
    );
    const empty = await cli(
      ["doctor", "--outputs", planFile, "--database-url", url, "--database-schema", "nothing_here"],
      env(),
    );
    expect(empty.code).toBe(2);
    expect(empty.stderr).toMatch(
      /no relay tables in schema "nothing_here": start `sg-webhooks serve --database-url …` once/,
    );
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    try {
      const found = await admin.query(
        "SELECT to_regclass('nothing_here.deliveries') AS t, to_regnamespace('nothing_here') AS s",
      );
      expect(found.rows[0]).toEqual({ t: null, s: null });
    } finally {
      await admin.end();
    }
  });

  it("redeliver resends what the relay gave up on, read from the database, each once; the CLI's dry run lists them", async () => {
    await vi.waitFor(() =>
      expect(sg.deliveries.some((d) => d.headers["x-github-event"] === "ping")).toBe(true),
    );
    await sg.refuseConnections();
    const missed: string[] = [];
    for (let i = 0; i < 5; i++)
      missed.push((await gh.emit("acme", "push", { ref: `refs/heads/r${i}` }))[0]!.guid);
    const target = storeTarget({ databaseUrl: url, databaseSchema: `doctor_${n}` }, { env: {} });
    if (target.kind !== "postgres") throw new Error("not a database");
    const records = await openDatabaseRecords(target);
    try {
      await vi.waitFor(
        async () => expect((await records.records({ states: ["expired"] }, 10)).length).toBe(5),
        { timeout: 10_000, interval: 100 },
      );
      await sg.acceptConnections();

      const dry = await cli(
        [
          "redeliver",
          "--outputs",
          planFile,
          "--database-url",
          url,
          "--database-schema",
          `doctor_${n}`,
          "--dry-run",
          "--json",
        ],
        env(),
      );
      expect(dry.code, dry.stdout + dry.stderr).toBe(0);
      const planned = JSON.parse(dry.stdout) as { actions: { outcome: string }[] };
      expect(planned.actions.map((a) => a.outcome)).toEqual(Array(5).fill("would_redeliver"));

      const first = await runRedeliver(quick(plan, { relayRecords: records }));
      expect(first.actions.map((a) => a.outcome)).toEqual(Array(5).fill("redelivered"));
      await gh.settled();
      const received = () =>
        sg.deliveries
          .filter((d) => missed.includes(String(d.headers["x-github-delivery"])))
          .map((d) => d.status);
      await vi.waitFor(() => expect(received()).toEqual(Array(5).fill(200)), {
        timeout: 10_000,
        interval: 50,
      });
      const second = await runRedeliver(quick(plan, { relayRecords: records }));
      expect(second.actions).toEqual([expect.objectContaining({ outcome: "nothing" })]);
    } finally {
      await records.close();
    }
  });

  it("printed the password nowhere", () => {
    const all = printed.join("");
    expect(all.length).toBeGreaterThan(0);
    expect(all).not.toContain(PASSWORD);
  });
});
