// Proves `sg-webhooks serve` on PostgreSQL forwards signed deliveries, two relays on one database forward each once, a stopped database is 503 until it is back (no restart), and the password is in no output.
// The relays run as users run them (the built CLI in child processes), against a real PostgreSQL
// and Sourcegraph's delivery endpoint stand-in, which verifies every signature.
import { randomUUID } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { type ReceiverFake, startReceiverFake } from "../../src/stand-ins/receiver";
import { describePostgres } from "../harness/postgres";
import { get, post, sha, tempDir, waitFor } from "./helpers";
import { cli, databaseWithPassword, killChildren, printed, serve } from "./serve-process";

// An @ in it, so the URL carries it percent-encoded: both forms are searched for.
const PASSWORD = "hunter2@relay-9f3k";
const SECRET = "relay-postgres-secret-0123456789";

describePostgres("sg-webhooks serve on PostgreSQL", (pg) => {
  const uuid = randomUUID();
  let fake: ReceiverFake;
  let url: string;
  let receivers: string;

  beforeAll(async () => {
    url = await databaseWithPassword(pg.server.url, "relay_serve", "relay_serve", PASSWORD);
    expect(url).toContain(encodeURIComponent(PASSWORD));
    fake = await startReceiverFake([{ uuid, codeHostKind: "GITHUB", secret: SECRET }]);
    receivers = join(tempDir(), "receivers.json");
    writeFileSync(receivers, JSON.stringify([{ uuid, codeHostKind: "GITHUB", secrets: [SECRET] }]), {
      mode: 0o600,
    });
  });

  afterAll(async () => {
    killChildren();
    await fake?.close();
  });

  const args = (...extra: string[]) => [
    "--listen",
    "127.0.0.1:0",
    "--admin-listen",
    "127.0.0.1:0",
    "--forward-to",
    fake.url,
    "--receivers",
    receivers,
    "--retry-base",
    "20ms",
    "--retry-max-delay",
    "100ms",
    ...extra,
  ];

  /** A GitHub push signed with the receiver's secret, under its own delivery ID. */
  const deliver = (relayUrl: string, id: string) => {
    const body = Buffer.from(JSON.stringify({ ref: "refs/heads/main", id }));
    return post(
      `${relayUrl}/.api/webhooks/${uuid}`,
      {
        "content-type": "application/json",
        "x-github-event": "push",
        "x-github-delivery": id,
        "x-hub-signature-256": sha("sha256", SECRET, body),
      },
      body,
    );
  };
  const acceptedIds = () => fake.accepted.map((d) => String(d.headers["x-github-delivery"]));

  it("takes the URL from SG_WEBHOOKS_DATABASE_URL, logs the database without its password, and forwards a signed delivery", async () => {
    const relay = await serve(args("--log-level", "debug"), { SG_WEBHOOKS_DATABASE_URL: url });
    const port = new URL(pg.server.url).port;
    expect(relay.ready).toMatchObject({
      database: `postgres://relay_serve:[redacted]@127.0.0.1:${port}/relay_serve`,
      schema: "sg_webhooks",
    });
    expect(relay.ready).not.toHaveProperty("dataDir");
    expect((await get(`${relay.url}/readyz`)).status).toBe(200);
    expect((await deliver(relay.url, "single-1")).status).toBe(202);
    await waitFor(() => acceptedIds().includes("single-1"), 10_000, "the forwarded delivery");
    // The stand-in accepted it, so it was re-signed with the secret Sourcegraph holds.
    relay.proc.kill("SIGTERM");
    expect(await relay.exited).toEqual({ code: 0, signal: null });
  });

  it("two relays on one database forward each delivery exactly once, whichever took it", async () => {
    fake.accepted.length = 0;
    fake.outage = 503;
    // One reads the variable, the other the flag: both name the same store.
    const a = await serve(args(), { SG_WEBHOOKS_DATABASE_URL: url });
    const b = await serve(args("--database-url", url));
    const ids = Array.from({ length: 40 }, (_, i) => `pair-${i}`);
    const answers = await Promise.all(ids.map((id, i) => deliver(i % 2 ? a.url : b.url, id)));
    expect(answers.map((r) => r.status)).toEqual(ids.map(() => 202));
    // Sourcegraph refuses for a while: every delivery goes back to the table and is claimed again,
    // by either relay, several times over.
    await waitFor(() => fake.log.length >= 120, 15_000, "forwarding attempts during the outage");
    fake.outage = undefined;
    await waitFor(() => new Set(acceptedIds()).size === ids.length, 20_000, "every delivery");
    const forwarded = async (relayAdmin: string) => {
      const m = /^sg_webhooks_relay_forwarded_total\{kind="GITHUB"\} (\d+)$/m.exec(
        (await get(`${relayAdmin}/metrics`)).text,
      );
      return Number(m?.[1] ?? 0);
    };
    // Each relay counts a forward once it has recorded Sourcegraph's answer in the table.
    await waitFor(
      async () => (await forwarded(a.adminUrl)) + (await forwarded(b.adminUrl)) >= ids.length,
      10_000,
      "both relays to record every answer",
    );
    // Any second forward would have come within a few retry rounds.
    await new Promise((r) => setTimeout(r, 500));
    expect(acceptedIds().sort()).toEqual([...ids].sort());
    expect((await forwarded(a.adminUrl)) + (await forwarded(b.adminUrl))).toBe(ids.length);
    // Both report the one shared backlog: empty.
    for (const r of [a, b])
      expect((await get(`${r.adminUrl}/metrics`)).text).toMatch(/^sg_webhooks_relay_queue_depth 0$/m);
    a.proc.kill("SIGTERM");
    b.proc.kill("SIGTERM");
    await Promise.all([a.exited, b.exited]);
  }, 60_000);

  it("answers 503 (and /readyz 503) while PostgreSQL is stopped, and 202 again once it is back, without a restart", async () => {
    const relay = await serve(args(), { SG_WEBHOOKS_DATABASE_URL: url });
    expect((await deliver(relay.url, "before-stop")).status).toBe(202);
    const restarting = pg.server.restart({ mode: "fast", downMs: 6_000 });
    await waitFor(async () => (await get(`${relay.url}/readyz`)).status === 503, 5_000, "/readyz 503");
    // Refused before its body is read, with the connection closed: a client still sending may see
    // the reset before the 503. Either way nothing was stored; the answer is read on a retry.
    let refusal: number | undefined;
    for (let i = 0; i < 5 && refusal === undefined; i++) {
      refusal = await deliver(relay.url, "while-stopped").then(
        (r) => r.status,
        (err: { code?: string }) => {
          if (err.code !== "ECONNRESET") throw err;
          return undefined;
        },
      );
    }
    expect(refusal).toBe(503);
    await restarting;
    await waitFor(async () => (await get(`${relay.url}/readyz`)).status === 200, 15_000, "/readyz 200");
    expect((await deliver(relay.url, "after-restart")).status).toBe(202);
    await waitFor(() => acceptedIds().includes("after-restart"), 10_000, "the delivery after the restart");
    expect(acceptedIds()).toContain("before-stop");
    expect(acceptedIds()).not.toContain("while-stopped");
    // The same process all along.
    expect(relay.proc.exitCode).toBeNull();
    relay.proc.kill("SIGTERM");
    expect(await relay.exited).toEqual({ code: 0, signal: null });
  }, 60_000);

  it("refuses, without printing the password: both stores, a URL that is not PostgreSQL's, an unreachable database", async () => {
    const both = await cli(["serve", ...args("--data-dir", tempDir())], { SG_WEBHOOKS_DATABASE_URL: url });
    expect(both.code, both.stderr).toBe(2);
    expect(both.stderr).toMatch(
      /SG_WEBHOOKS_DATABASE_URL is set and --data-dir is given: give either --data-dir DIR/,
    );
    const neither = await cli(["serve", ...args()], { SG_WEBHOOKS_DATABASE_URL: "" });
    expect(neither.code, neither.stderr).toBe(2);
    expect(neither.stderr).toMatch(/--data-dir DIR \(SQLite, one relay\) or --database-url URL/);
    const mysql = await cli(["serve", ...args("--database-url", `mysql://relay:${PASSWORD}@db/relay`)]);
    expect(mysql.code, mysql.stderr).toBe(2);
    expect(mysql.stderr).toMatch(
      /--database-url must be a postgres:\/\/ or postgresql:\/\/ URL, not mysql:\/\//,
    );
    const down = await cli(["serve", ...args()], {
      SG_WEBHOOKS_DATABASE_URL: `postgres://relay_serve:${encodeURIComponent(PASSWORD)}@127.0.0.1:1/relay_serve`,
    });
    expect(down.code, down.stderr).toBe(1);
    expect(down.stderr).toMatch(
      /^sg-webhooks: cannot open the relay's store: PostgreSQL at postgres:\/\/relay_serve:\[redacted\]@127\.0\.0\.1:1\/relay_serve is unavailable/,
    );
  });

  it("printed the password nowhere: not in any log line, error or message of the children above", () => {
    const all = printed.join("");
    expect(all).toContain("relay ready");
    expect(all).toContain("PostgreSQL is unavailable");
    for (const form of [PASSWORD, encodeURIComponent(PASSWORD), "hunter2"]) expect(all).not.toContain(form);
  });
});
