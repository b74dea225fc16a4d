// Proves a relay.db from before claims (schema 2) is migrated in place: queue, dead letters, records kept, rows free.
// Schema 3 adds the claim columns (claim_id, claimed_by, lease_until). Every pending and dead row
// keeps its id, bytes and retry state and comes out free (no relay holds it), the records of
// settled deliveries keep Sourcegraph's answer and still drop redeliveries, and the new invariant
// holds: only a pending row is ever claimed.
import { join } from "node:path";
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { DATABASE_FILE, SqliteStore } from "../../src/relay";
import { SCHEMA_VERSION } from "../../src/relay/sqlite-schema";
import type { Lease } from "../../src/relay/store";
import { tempDir } from "./helpers";
import { type Schema2Delivery, writeSchema2Store } from "./schema-2-store";

const LEASE: Lease = { owner: "relay", ms: 60_000 };
const headers = { "content-type": "application/json", "x-github-event": "push" };
// Bytes a text round trip would change: the migration must leave the blob as it is.
const binary = Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xc3, 0xa9, 0x00, 0xff, 0x22, 0x7d]);

const github = { receiverUuid: "u", kind: "GITHUB" as const, event: "push", headers };
const QUEUE: Schema2Delivery[] = [
  {
    ...github,
    deliveryId: "pending-1",
    hookId: "7",
    body: binary,
    receivedAt: 1000,
    fate: { state: "pending", retries: 2 },
  },
  {
    ...github,
    deliveryId: "dead-1",
    body: Buffer.from('{"n":"dead"}'),
    receivedAt: 2000,
    fate: { state: "dead", reason: "bad_signature", status: 400, at: 2500 },
  },
  {
    ...github,
    deliveryId: "expired-1",
    body: Buffer.from('{"n":"expired"}'),
    receivedAt: 3000,
    fate: { state: "dead", reason: "expired", at: 3500 },
  },
  {
    ...github,
    deliveryId: "delivered-1",
    hookId: "7",
    body: Buffer.from("{}"),
    receivedAt: 4000,
    fate: { state: "delivered", status: 200, at: 4500 },
  },
  {
    receiverUuid: "b",
    kind: "BITBUCKETSERVER",
    event: "repo:refs_changed",
    headers: { "x-event-key": "repo:refs_changed" },
    body: Buffer.from('{"n":"no id"}'),
    receivedAt: 5000,
    fate: { state: "pending" },
  },
];

function readDb<T>(dir: string, read: (db: Database.Database) => T): T {
  const db = new Database(join(dir, DATABASE_FILE), { readonly: true });
  try {
    return read(db);
  } finally {
    db.close();
  }
}

describe("migration of a schema-2 relay.db", () => {
  it("keeps the queue, its bytes and retry state, the dead letters and the records, every row free", async () => {
    const dir = tempDir();
    const [pending, dead, expired, delivered, unkeyed] = writeSchema2Store(dir, QUEUE);
    const s = new SqliteStore(dir);
    try {
      expect(readDb(dir, (db) => db.pragma("user_version", { simple: true }))).toBe(SCHEMA_VERSION);
      expect(SCHEMA_VERSION).toBe(3);
      expect(
        readDb(dir, (db) =>
          db.prepare("SELECT COUNT(*) FROM deliveries WHERE claim_id IS NOT NULL").pluck().get(),
        ),
      ).toBe(0);
      expect(await s.counts()).toEqual({ pending: 2, dead: 2 });
      expect(
        (await s.records({}, 10)).map((r) => [
          r.id,
          r.state,
          r.attempts,
          r.lastStatus,
          r.settledAt,
          r.hookId,
        ]),
      ).toEqual([
        [unkeyed, "pending", 0, undefined, undefined, undefined],
        [delivered, "delivered", 1, 200, 4500, "7"],
        [expired, "expired", 1, undefined, 3500, undefined],
        [dead, "dead", 1, 400, 2500, undefined],
        [pending, "pending", 2, 503, undefined, "7"],
      ]);
      expect(
        (await s.listDead()).map((d) => [d.id, d.reason, d.lastStatus, d.deadAt, d.body.toString()]),
      ).toEqual([
        [dead, "bad_signature", 400, 2500, '{"n":"dead"}'],
        [expired, "expired", undefined, 3500, '{"n":"expired"}'],
      ]);

      // Free: due when schema 2 said (the retried one at 3000), and claimable by any relay.
      expect((await s.claim(2999, 10, LEASE)).map((d) => d.id)).toEqual([]);
      expect(await s.nextDueAt(LEASE.owner)).toBe(3000);
      const claimed = await s.claim(10_000, 10, LEASE);
      expect(claimed.map((d) => [d.id, d.deliveryId, d.hookId, d.attempts, d.windowStart])).toEqual([
        [pending, "pending-1", "7", 2, 1000],
        [unkeyed, undefined, undefined, 0, 5000],
      ]);
      expect(Buffer.from(claimed[0]!.body).equals(binary)).toBe(true);
      expect(claimed[0]!.headers).toEqual(headers);
      expect(await s.complete(claimed[0]!, "delivered", { status: 200 }, 11_000)).toBe(true);

      // The keys still drop redeliveries, and a dead letter is revived, claimed for the caller.
      const again = (deliveryId: string) =>
        s.add(
          { ...github, deliveryId, hookId: "7", body: Buffer.from('{"again":true}'), receivedAt: 12_000 },
          LEASE,
        );
      expect(await again("delivered-1")).toEqual({ id: delivered, duplicate: true, revived: false });
      expect(await again("pending-1")).toEqual({ id: pending, duplicate: true, revived: false });
      const revived = await again("dead-1");
      expect(revived).toMatchObject({ id: dead, duplicate: false, revived: true });
      expect(typeof revived.claimId).toBe("string");
      // A new delivery gets an id past every one schema 2 gave.
      const fresh = await again("new-1");
      expect(fresh.duplicate).toBe(false);
      expect(fresh.id).toBeGreaterThan(Math.max(pending!, dead!, expired!, delivered!, unkeyed!));
    } finally {
      await s.close();
    }

    // Opening again finds the work done. Only a pending row can hold a claim, and a claim has all
    // three columns (the unkeyed delivery is still claimed by the store above).
    const reopened = new SqliteStore(dir);
    try {
      expect(await reopened.counts()).toEqual({ pending: 3, dead: 1 });
    } finally {
      await reopened.close();
    }
    const db = new Database(join(dir, DATABASE_FILE));
    try {
      expect(() =>
        db
          .prepare("UPDATE deliveries SET claim_id = 'c', claimed_by = 'r', lease_until = 1 WHERE id = ?")
          .run(expired),
      ).toThrow(/CHECK constraint failed/);
      expect(() => db.prepare("UPDATE deliveries SET lease_until = NULL WHERE id = ?").run(unkeyed)).toThrow(
        /CHECK constraint failed/,
      );
    } finally {
      db.close();
    }
  });
});
