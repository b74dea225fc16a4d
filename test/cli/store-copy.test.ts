// Proves `sg-webhooks store copy` moves a stopped SQLite relay's pending deliveries, dead letters and records into PostgreSQL, says what it copied, copies nothing twice, and refuses while a relay runs.
// The built CLI in a child process; the data directory is written through the SQLite store, and the
// database read back through the PostgreSQL store and `dlq list`.
import { randomUUID } from "node:crypto";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { lockDataDir } from "../../src/relay/lock";
import type { PostgresStore } from "../../src/relay/postgres";
import { SqliteStore } from "../../src/relay/sqlite-store";
import type { Lease, NewDelivery } from "../../src/relay/store";
import { openDatabase } from "../../src/relay/store-target";
import { describePostgres } from "../harness/postgres";
import { tempDir } from "../relay/helpers";
import { cli, databaseWithPassword, printed } from "../relay/serve-process";

const PASSWORD = "copy-pg-Pa55word-93be";
const LEASE: Lease = { owner: "sqlite-relay", ms: 60_000 };

describePostgres("store copy from a SQLite data directory into PostgreSQL", (postgres) => {
  const receiver = randomUUID();
  const dataDir = join(tempDir("sg-copy-"), "data");
  let url: string;
  let db: PostgresStore | undefined;

  const delivery = (deliveryId: string): NewDelivery => ({
    receiverUuid: receiver,
    kind: "GITHUB",
    event: "push",
    deliveryId,
    headers: { "content-type": "application/json", "x-github-event": "push" },
    body: Buffer.from(JSON.stringify({ deliveryId, zen: "é✓" })),
    receivedAt: Date.now(),
  });

  beforeAll(async () => {
    url = await databaseWithPassword(postgres.server.url, "copy_relay", "copy_relay", PASSWORD);
    // What a SQLite relay leaves when it stops: two waiting, one dead letter, one forwarded.
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    const sqlite = new SqliteStore(dataDir);
    try {
      for (const id of ["p-1", "p-2"]) {
        const a = await sqlite.add(delivery(id), LEASE);
        await sqlite.release([{ id: a.id, claimId: a.claimId! }]);
      }
      const dead = await sqlite.add(delivery("d-1"), LEASE);
      await sqlite.deadLetter(
        { id: dead.id, claimId: dead.claimId! },
        "rejected",
        { status: 422 },
        Date.now(),
      );
      const done = await sqlite.add(delivery("f-1"), LEASE);
      await sqlite.complete(
        { id: done.id, claimId: done.claimId! },
        "delivered",
        { status: 200 },
        Date.now(),
      );
    } finally {
      await sqlite.close();
    }
  });

  afterAll(async () => {
    await db?.close();
  });

  const env = () => ({ SG_WEBHOOKS_DATABASE_URL: url });

  it("refuses while a relay holds the data directory, saying to stop it first", async () => {
    // This test process takes the lock as a running relay would: the CLI is another process.
    const unlock = lockDataDir(dataDir);
    try {
      const run = await cli(["store", "copy", "--data-dir", dataDir], env());
      expect(run.code).toBe(1);
      expect(run.stderr).toBe(
        `sg-webhooks: a relay (pid ${process.pid}) is running on ${dataDir}: stop that relay first (systemctl stop sg-webhooks, or however it runs), then copy; the relays on PostgreSQL take over once the copy is done\n`,
      );
    } finally {
      unlock();
    }
  });

  it("a dry run counts by state and copies nothing", async () => {
    const run = await cli(["store", "copy", "--data-dir", dataDir, "--dry-run"], env());
    expect(run.code, run.stderr).toBe(0);
    const port = new URL(postgres.server.url).port;
    expect(run.stdout).toBe(
      [
        `dry run, nothing copied: would copy from ${join(dataDir, "relay.db")} to postgres://copy_relay:[redacted]@127.0.0.1:${port}/copy_relay (schema sg_webhooks):`,
        "  pending        2  deliveries waiting to be forwarded",
        "  dead           1  dead letters",
        "  records        1  delivered or ignored deliveries, kept to drop redeliveries",
        "",
      ].join("\n"),
    );
    db = await openDatabase({ url }, { applicationName: "copy test" });
    expect(await db.counts()).toEqual({ pending: 0, dead: 0 });
  });

  it("copies pending deliveries, dead letters and records, bodies byte for byte; a rerun copies nothing twice", async () => {
    const first = await cli(["store", "copy", "--data-dir", dataDir], env());
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toMatch(/^copied from .*relay\.db to postgres:\/\/copy_relay:\[redacted\]@/);
    expect(first.stdout).toMatch(/^ {2}pending {8}2 /m);
    expect(first.stdout).toMatch(/^ {2}dead {11}1 /m);
    expect(first.stdout).toMatch(/^ {2}records {8}1 /m);
    expect(await db!.counts()).toEqual({ pending: 2, dead: 1 });
    const waiting = await db!.claim(Date.now(), 10, { owner: "pg-relay", ms: 60_000 });
    expect(waiting.map((d) => d.deliveryId).sort()).toEqual(["p-1", "p-2"]);
    for (const d of waiting) expect(Buffer.from(d.body)).toEqual(Buffer.from(delivery(d.deliveryId!).body));
    await db!.release(waiting.map((d) => ({ id: d.id, claimId: d.claimId })));
    // The forwarded delivery's record keeps dropping its redelivery on PostgreSQL.
    expect(await db!.add(delivery("f-1"), { owner: "pg-relay", ms: 60_000 })).toMatchObject({
      duplicate: true,
    });
    const dead = await cli(["dlq", "list", "--json"], env());
    expect(JSON.parse(dead.stdout)).toMatchObject({ deliveryId: "d-1", reason: "rejected", lastStatus: 422 });

    const again = await cli(["store", "copy", "--data-dir", dataDir], env());
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toMatch(/^ {2}pending {8}0 /m);
    expect(again.stdout).toMatch(/^ {2}dead {11}0 /m);
    expect(again.stdout).toMatch(/^ {2}records {8}0 /m);
    expect(again.stdout).toContain("4 copied by an earlier run: not copied again");
    expect(await db!.counts()).toEqual({ pending: 2, dead: 1 });
  });

  it("usage errors: no database, no relay store in the directory", async () => {
    const noDb = await cli(["store", "copy", "--data-dir", dataDir], { SG_WEBHOOKS_DATABASE_URL: "" });
    expect(noDb.code).toBe(2);
    expect(noDb.stderr).toContain(
      "say which database to copy into: --database-url URL, or set SG_WEBHOOKS_DATABASE_URL",
    );
    const empty = tempDir("sg-copy-empty-");
    const noStore = await cli(["store", "copy", "--data-dir", empty], env());
    expect(noStore.code).toBe(2);
    expect(noStore.stderr).toContain(`no relay store in ${empty} (relay.db is missing)`);
  });

  it("printed the password nowhere", () => {
    const all = printed.join("");
    expect(all).toContain("copied from");
    expect(all).not.toContain(PASSWORD);
  });
});
