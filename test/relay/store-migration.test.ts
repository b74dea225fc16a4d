// Proves a relay.db written by release 0.1.0 is migrated in place, its queue and dedupe keys kept.
// A relay.db written by release 0.1.0 (schema 1) is migrated in place when the new relay opens it:
// its queue (pending deliveries and dead letters, bytes and retry state) is kept, forwarded and
// replayable, the delivery IDs it had seen still drop redeliveries, and no id is handed out twice.
import { randomUUID } from "node:crypto";
import { join } from "node:path";
import Database from "better-sqlite3";
import pino from "pino";
import { describe, expect, it } from "vitest";
import { DATABASE_FILE, SqliteStore, startRelay } from "../../src/relay";
import { SCHEMA_VERSION } from "../../src/relay/sqlite-schema";
import type { Lease } from "../../src/relay/store";
import { startReceiverFake } from "../../src/stand-ins/receiver";
import { sha, tempDir, waitFor } from "./helpers";
import { type Schema1Delivery, writeSchema1Store } from "./schema-1-store";

const SECRET = "shared-secret";
const LEASE: Lease = { owner: "relay", ms: 60_000 };
const headers = { "content-type": "application/json", "x-github-event": "push" };
// Bytes a text round trip would change: the migration must copy the blob as it is.
const binary = Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xc3, 0xa9, 0x00, 0xff, 0x22, 0x7d]);

function schema1Queue(receiverUuid: string, bitbucketUuid = receiverUuid): Schema1Delivery[] {
  const github = { receiverUuid, kind: "GITHUB" as const, event: "push", headers };
  return [
    {
      ...github,
      deliveryId: "pending-1",
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
      deliveryId: "forwarded-1",
      body: Buffer.from("{}"),
      receivedAt: 4000,
      fate: { state: "forwarded" },
    },
    {
      receiverUuid: bitbucketUuid,
      kind: "BITBUCKETSERVER",
      event: "repo:refs_changed",
      headers: { "x-event-key": "repo:refs_changed" },
      body: Buffer.from('{"n":"no id"}'),
      receivedAt: 5000,
      fate: { state: "pending" },
    },
  ];
}

const userVersion = (dir: string) => {
  const db = new Database(join(dir, DATABASE_FILE), { readonly: true });
  try {
    return db.pragma("user_version", { simple: true });
  } finally {
    db.close();
  }
};

describe("migration of a schema-1 relay.db", () => {
  it("keeps the queue, its bytes, retry state and ids, and the delivery IDs it had seen", async () => {
    const dir = tempDir();
    const [pending, dead, expired, forwarded, unkeyed] = writeSchema1Store(dir, schema1Queue("u"));
    const s = new SqliteStore(dir);
    try {
      expect(userVersion(dir)).toBe(SCHEMA_VERSION);
      expect(await s.counts()).toEqual({ pending: 2, dead: 2 });
      const due = await s.claim(10_000, 10, LEASE);
      expect(due.map((d) => [d.id, d.deliveryId, d.attempts, d.windowStart])).toEqual([
        [pending, "pending-1", 2, 1000],
        [unkeyed, undefined, 0, 5000],
      ]);
      expect(Buffer.from(due[0]!.body).equals(binary)).toBe(true);
      expect(due[0]!.headers).toEqual(headers);
      expect(due[0]).not.toHaveProperty("hookId");
      expect((await s.listDead()).map((d) => [d.id, d.reason, d.lastStatus, d.deadAt])).toEqual([
        [dead, "bad_signature", 400, 2500],
        [expired, "expired", undefined, 3500],
      ]);
      expect(
        (await s.records({}, 10)).map((r) => [r.id, r.state, r.attempts, r.lastStatus, r.settledAt]),
      ).toEqual([
        [unkeyed, "pending", 0, undefined, undefined],
        [expired, "expired", 1, undefined, 3500],
        [dead, "dead", 1, 400, 2500],
        [pending, "pending", 2, 503, undefined],
      ]);

      const again = (deliveryId: string, hookId?: string) =>
        s.add(
          {
            receiverUuid: "u",
            kind: "GITHUB",
            event: "push",
            deliveryId,
            ...(hookId ? { hookId } : {}),
            headers,
            body: Buffer.from('{"again":true}'),
            receivedAt: 8000,
          },
          LEASE,
        );
      // Schema 1 knew no hook IDs: its keys match a redelivery whatever hook it names.
      expect(await again("forwarded-1", "42")).toMatchObject({ duplicate: true, revived: false });
      expect(await again("pending-1", "42")).toEqual({ id: pending, duplicate: true, revived: false });
      expect(await again("dead-1", "42")).toMatchObject({ id: dead, duplicate: false, revived: true });
      // A new delivery gets an id past every one schema 1 gave, the forwarded one included.
      const fresh = await again("new-1", "42");
      expect(fresh.duplicate).toBe(false);
      expect(fresh.id).toBeGreaterThan(Math.max(pending!, dead!, expired!, forwarded!, unkeyed!));
    } finally {
      await s.close();
    }
    // Opening again finds the work done.
    const reopened = new SqliteStore(dir);
    try {
      expect(await reopened.counts()).toEqual({ pending: 4, dead: 1 });
    } finally {
      await reopened.close();
    }
  });

  it("forgets schema 1's delivery IDs once the dedupe window has passed over them", async () => {
    const dir = tempDir();
    writeSchema1Store(dir, schema1Queue("u"));
    const s = new SqliteStore(dir);
    const forwardedAgain = () =>
      s.add(
        {
          receiverUuid: "u",
          kind: "GITHUB",
          event: "push",
          deliveryId: "forwarded-1",
          headers,
          body: Buffer.from("{}"),
          receivedAt: 9000,
        },
        LEASE,
      );
    try {
      await s.prune(4000);
      expect((await forwardedAgain()).duplicate).toBe(true);
      await s.prune(4001);
      expect((await forwardedAgain()).duplicate).toBe(false);
      const db = new Database(join(dir, DATABASE_FILE), { readonly: true });
      expect(db.prepare("SELECT name FROM sqlite_master WHERE name = 'seen'").get()).toBeUndefined();
      db.close();
    } finally {
      await s.close();
    }
  });

  it("a store whose version schema 1 never set (a crash after it created its tables) is migrated too", async () => {
    const dir = tempDir();
    writeSchema1Store(dir, schema1Queue("u"));
    const db = new Database(join(dir, DATABASE_FILE));
    db.pragma("user_version = 0");
    db.close();
    const s = new SqliteStore(dir);
    try {
      expect(await s.counts()).toEqual({ pending: 2, dead: 2 });
    } finally {
      await s.close();
    }
  });

  it("a store from a newer relay is still refused, and left as it is", async () => {
    const dir = tempDir();
    writeSchema1Store(dir, schema1Queue("u"));
    const db = new Database(join(dir, DATABASE_FILE));
    db.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    db.close();
    expect(() => new SqliteStore(dir)).toThrow(
      `${join(dir, DATABASE_FILE)} was written by a newer relay (schema ${SCHEMA_VERSION + 1}); upgrade sg-webhooks`,
    );
    expect(userVersion(dir)).toBe(SCHEMA_VERSION + 1);
  });

  it("the new relay forwards the migrated queue, and dlq replay sends its dead letters", async () => {
    const uuid = randomUUID();
    const bbs = randomUUID();
    const dir = tempDir();
    const [pending, dead, expired, , unkeyed] = writeSchema1Store(dir, schema1Queue(uuid, bbs));
    const sourcegraph = await startReceiverFake([
      { uuid, codeHostKind: "GITHUB", secret: SECRET },
      { uuid: bbs, codeHostKind: "BITBUCKETSERVER", secret: SECRET },
    ]);
    const relay = await startRelay({
      listen: { host: "127.0.0.1", port: 0 },
      forwardTo: sourcegraph.url,
      receivers: {
        list: [
          { uuid, codeHostKind: "GITHUB", secrets: [SECRET] },
          { uuid: bbs, codeHostKind: "BITBUCKETSERVER", secrets: [SECRET] },
        ],
      },
      dataDir: dir,
      logger: pino({ level: "silent" }),
    });
    try {
      const state = async (id: number) => (await relay.store.records({}, 10)).find((r) => r.id === id)?.state;
      await waitFor(
        async () => (await state(pending!)) === "delivered" && (await state(unkeyed!)) === "delivered",
        10_000,
        "the pending deliveries",
      );
      const github = sourcegraph.accepted.filter((d) => d.kind === "GITHUB");
      expect(github).toHaveLength(1);
      expect(github[0]!.body.equals(binary)).toBe(true);
      expect(github[0]!.headers["x-hub-signature-256"]).toBe(sha("sha256", SECRET, binary));
      expect(sourcegraph.accepted.filter((d) => d.kind === "BITBUCKETSERVER").map((d) => d.event)).toEqual([
        "repo:refs_changed",
      ]);

      // What `dlq replay --id` does, on the store the relay runs on.
      const dlq = new SqliteStore(dir);
      try {
        expect(await dlq.replay({ ids: [dead!, expired!] }, Date.now())).toBe(2);
      } finally {
        await dlq.close();
      }
      await waitFor(
        async () => (await state(dead!)) === "delivered" && (await state(expired!)) === "delivered",
        10_000,
        "the replayed dead letters",
      );
      expect(
        sourcegraph.accepted
          .map((d) => d.body.toString())
          .slice(2)
          .sort(),
      ).toEqual(['{"n":"dead"}', '{"n":"expired"}']);
    } finally {
      await relay.close();
      await sourcegraph.close();
    }
  });
});
