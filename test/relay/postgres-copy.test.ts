// Proves copySqliteToPostgres moves a SQLite data directory's pending deliveries, dead letters and dedupe records into PostgreSQL byte for byte, and that running it again (even after the copies were forwarded and pruned) copies nothing twice.
import { randomBytes } from "node:crypto";
import Database from "better-sqlite3";
import pg from "pg";
import { expect, it } from "vitest";
import { DATABASE_FILE, SqliteStore } from "../../src/relay";
import { lockDataDir } from "../../src/relay/lock";
import { copySqliteToPostgres, openPostgresStore } from "../../src/relay/postgres";
import type { NewDelivery } from "../../src/relay/store";
import { describePostgres } from "../harness/postgres";
import { tempDir } from "./helpers";

const lease = { owner: "sqlite-relay", ms: 60_000 };

function delivery(deliveryId: string | undefined, extra: Partial<NewDelivery> = {}): NewDelivery {
  return {
    receiverUuid: "r-github",
    kind: "GITHUB",
    event: "push",
    ...(deliveryId !== undefined ? { deliveryId, hookId: "5" } : {}),
    // Key order and non-ASCII text are kept as the SQLite store wrote them.
    headers: { "x-github-event": "push", "content-type": "application/json", "user-agent": "Hookshot/ü ☃" },
    body: Buffer.concat([Buffer.from([0, 255, 0, 10]), randomBytes(300)]),
    receivedAt: 1000,
    ...extra,
  };
}

/** A SQLite data directory holding one delivery in each state a copy must handle. */
async function sqliteDataDir(): Promise<string> {
  const dir = tempDir();
  const s = new SqliteStore(dir);
  const fresh = await s.add(delivery("p-fresh"), lease);
  const retried = await s.add(delivery("p-retried", { receivedAt: 1100 }), lease);
  await s.retryLater(
    { id: retried.id, claimId: retried.claimId! },
    9000,
    { status: 503, error: "busy" },
    1200,
  );
  await s.add(
    delivery(undefined, { receiverUuid: "r-bbs", kind: "BITBUCKETSERVER", event: "repo:refs_changed" }),
    lease,
  );
  const dead = await s.add(delivery("d-dead"), lease);
  await s.deadLetter(
    { id: dead.id, claimId: dead.claimId! },
    "bad_signature",
    { status: 400, error: "no" },
    1300,
  );
  const delivered = await s.add(delivery("r-delivered"), lease);
  await s.complete({ id: delivered.id, claimId: delivered.claimId! }, "delivered", { status: 200 }, 1400);
  const ignored = await s.add(delivery("r-ignored"), lease);
  await s.complete({ id: ignored.id, claimId: ignored.claimId! }, "ignored", { status: 204 }, 1500);
  expect(fresh.claimId).toBeDefined();
  await s.close();
  return dir;
}

/** What relay.db holds, row by row, as the bytes the copy must keep. */
function sqliteRows(dir: string) {
  const db = new Database(`${dir}/${DATABASE_FILE}`, { readonly: true });
  try {
    return db
      .prepare(
        `SELECT receiver_uuid, kind, event, delivery_id, hook_id, headers, body, received_at, window_start,
           attempts, next_attempt_at, state, last_status, last_error, last_attempt_at, dead_reason, dead_at, settled_at
         FROM deliveries ORDER BY received_at, coalesce(delivery_id, '')`,
      )
      .all() as Array<Record<string, unknown>>;
  } finally {
    db.close();
  }
}

async function postgresRows(url: string) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query(
      `SELECT receiver_uuid, kind, event, delivery_id, hook_id, headers::text AS headers, body,
         received_at::float8 AS received_at, window_start::float8 AS window_start, attempts,
         next_attempt_at::float8 AS next_attempt_at, state, last_status, last_error,
         last_attempt_at::float8 AS last_attempt_at, dead_reason, dead_at::float8 AS dead_at,
         settled_at::float8 AS settled_at, claim_id
       FROM sg_webhooks.deliveries ORDER BY received_at, coalesce(delivery_id, '')`,
    );
    return rows as Array<Record<string, unknown>>;
  } finally {
    await client.end();
  }
}

describePostgres("copying a SQLite data directory into PostgreSQL", (db) => {
  it("copies pending, dead and settled rows byte for byte, and a second run copies nothing", async () => {
    const dir = await sqliteDataDir();
    const url = await db.database();
    const store = await openPostgresStore({ connectionString: url });
    try {
      const dry = await copySqliteToPostgres({ dataDir: dir, store, dryRun: true });
      expect(dry).toMatchObject({
        dryRun: true,
        read: { pending: 3, dead: 1, records: 2 },
        copied: { pending: 3, dead: 1, records: 2 },
        alreadyCopied: 0,
        keyTaken: 0,
        legacyKeys: 0,
      });
      expect(await store.records({}, 100)).toEqual([]);
      // Records settled before `settledSince` are past the window: left out.
      const recent = await copySqliteToPostgres({ dataDir: dir, store, dryRun: true, settledSince: 1450 });
      expect(recent.read).toEqual({ pending: 3, dead: 1, records: 1 });

      const report = await copySqliteToPostgres({ dataDir: dir, store });
      expect(report).toMatchObject({
        dryRun: false,
        target: expect.stringMatching(/^postgres:\/\/postgres@127\.0\.0\.1:\d+\/\S+ \(schema sg_webhooks\)$/),
        read: { pending: 3, dead: 1, records: 2 },
        copied: { pending: 3, dead: 1, records: 2 },
        alreadyCopied: 0,
        keyTaken: 0,
      });
      // Every column as SQLite had it (headers as their very text, bodies as their bytes), and free.
      const copied = await postgresRows(url);
      expect(copied.map(({ claim_id, ...row }) => row)).toEqual(sqliteRows(dir));
      expect(copied.every((r) => r.claim_id === null)).toBe(true);

      // The copies behave as the SQLite relay's rows did.
      const due = await store.claim(10_000, 10, { owner: "pg-relay", ms: 60_000 });
      expect(due.map((d) => [d.deliveryId, d.attempts, d.windowStart])).toEqual([
        ["p-fresh", 0, 1000],
        [undefined, 0, 1000],
        ["p-retried", 1, 1100],
      ]);
      expect(await store.listDead()).toMatchObject([
        { deliveryId: "d-dead", reason: "bad_signature", lastStatus: 400, lastError: "no", deadAt: 1300 },
      ]);
      const pgLease = { owner: "pg-relay", ms: 60_000 };
      expect((await store.add(delivery("r-delivered", { receivedAt: 2000 }), pgLease)).duplicate).toBe(true);
      const revived = await store.add(delivery("d-dead", { receivedAt: 2000 }), pgLease);
      expect(revived.revived).toBe(true);

      // A second run, by its own connection: nothing copied twice.
      const again = await copySqliteToPostgres({ dataDir: dir, database: { connectionString: url } });
      expect(again).toMatchObject({
        copied: { pending: 0, dead: 0, records: 0 },
        alreadyCopied: 6,
        keyTaken: 0,
      });

      // Even once the copies were forwarded and their records pruned.
      const held = [...due, { id: revived.id, claimId: revived.claimId! }];
      for (const d of held) expect(await store.complete(d, "delivered", { status: 200 }, 20_000)).toBe(true);
      await store.prune(30_000);
      expect(await store.counts()).toEqual({ pending: 0, dead: 0 });
      const late = await copySqliteToPostgres({ dataDir: dir, store });
      expect(late).toMatchObject({ copied: { pending: 0, dead: 0, records: 0 }, alreadyCopied: 6 });
      expect(await store.records({}, 100)).toEqual([]);
    } finally {
      await store.close();
    }
  });

  it("skips a delivery whose key the database holds already, and says so", async () => {
    const dir = await sqliteDataDir();
    const url = await db.database();
    const store = await openPostgresStore({ connectionString: url });
    try {
      await store.add(delivery("p-fresh"), { owner: "pg-relay", ms: 1000 });
      const report = await copySqliteToPostgres({ dataDir: dir, store });
      expect(report).toMatchObject({ copied: { pending: 2, dead: 1, records: 2 }, keyTaken: 1 });
      const rerun = await copySqliteToPostgres({ dataDir: dir, store });
      expect(rerun).toMatchObject({
        copied: { pending: 0, dead: 0, records: 0 },
        alreadyCopied: 6,
        keyTaken: 0,
      });
    } finally {
      await store.close();
    }
  });

  it("refuses a data directory a relay is using, or one without a store", async () => {
    const dir = await sqliteDataDir();
    const url = await db.database();
    const unlock = lockDataDir(dir);
    try {
      await expect(
        copySqliteToPostgres({ dataDir: dir, database: { connectionString: url } }),
      ).rejects.toThrow(/another relay in this process uses/);
    } finally {
      unlock();
    }
    const empty = tempDir();
    await expect(
      copySqliteToPostgres({ dataDir: empty, database: { connectionString: url } }),
    ).rejects.toThrow(`${empty} holds no relay.db: give the --data-dir of the SQLite relay to copy from`);
  });
});
