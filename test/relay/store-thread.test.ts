// Proves the SQLite store on its own thread keeps SqliteStore's contract across the thread boundary, and that bodies reach it without a copy.
import { join } from "node:path";
import type { Worker } from "node:worker_threads";
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { DATABASE_FILE, SqliteStore, startRelay, ThreadedStore } from "../../src/relay";
import type { AddResult, ClaimRef, DeliveryStore, Lease } from "../../src/relay/store";
import { captureLogger, get, post, sha, storeWith, tempDir } from "./helpers";

const base = {
  receiverUuid: "u",
  kind: "GITHUB" as const,
  event: "push",
  headers: { "x-github-event": "push" },
  receivedAt: 1000,
};
const LEASE: Lease = { owner: "relay", ms: 60_000 };
const claim = (r: AddResult): ClaimRef => ({ id: r.id, claimId: r.claimId! });

describe("ThreadedStore", () => {
  // Its contract is the store contract's, run on the thread by store-sqlite.test.ts.
  it("what the thread commits is on disk for a store opened directly (dlq), and its claims hold there", async () => {
    const dir = tempDir();
    const s = await ThreadedStore.open(dir);
    const body = Buffer.from([0, 255, 10, 13, 0x7b]);
    const [held, dead] = await Promise.all([
      s.add({ ...base, deliveryId: "x", body }, LEASE),
      s.add({ ...base, deliveryId: "y", body: Buffer.from("3") }, LEASE),
    ]);
    expect(await s.deadLetter(claim(dead), "rejected", { status: 400, error: "bad" }, 3000)).toBe(true);

    // What `dlq` sees beside a running relay: the thread's commits, and its claim on the pending one.
    const direct = new SqliteStore(dir);
    try {
      expect((await direct.listDead()).map((d) => [d.id, d.reason, d.lastStatus])).toEqual([
        [dead.id, "rejected", 400],
      ]);
      expect(await direct.claim(2000, 10, { owner: "dlq", ms: 1000 })).toEqual([]);
      expect(await direct.replay("all", 4000)).toBe(1);
    } finally {
      await direct.close();
    }
    expect((await s.claim(4000, 10, LEASE)).map((d) => d.id)).toEqual([dead.id]);
    await s.release([claim(held)]);
    await s.close();

    const again = await ThreadedStore.open(dir);
    try {
      expect((await again.add({ ...base, deliveryId: "x", body }, LEASE)).duplicate).toBe(true);
      const [back] = await again.claim(5000, 10, LEASE);
      expect(back!.id).toBe(held.id);
      expect(Buffer.from(back!.body).equals(body)).toBe(true);
    } finally {
      await again.close();
    }
  });

  it("opening rejects with the store's own error, such as a database from a newer relay", async () => {
    const dir = tempDir();
    const db = new Database(join(dir, DATABASE_FILE));
    db.pragma("user_version = 99");
    db.close();
    await expect(ThreadedStore.open(dir)).rejects.toThrow(/written by a newer relay \(schema 99\); upgrade/);
  });

  it("once the thread is gone, every call waiting or new is refused instead of hanging", async () => {
    const s = await ThreadedStore.open(tempDir());
    const worker = (s as unknown as { worker: Worker }).worker;
    const waiting = s.add({ ...base, body: Buffer.from("1") }, LEASE);
    await worker.terminate();
    await expect(waiting).rejects.toThrow(/store's thread stopped/);
    await expect(s.counts()).rejects.toThrow(/store's thread stopped/);
    await s.close();
  });
});

describe("a relay whose store thread stops", () => {
  it("stops acknowledging: deliveries and /readyz are answered 503, and onFatal is called", async () => {
    const u = "5d0c1f7e-2a8b-4e6d-8c3f-1b2a3c4d5e6f";
    const fatal: Error[] = [];
    const log = captureLogger();
    const relay = await startRelay({
      listen: { host: "127.0.0.1", port: 0 },
      forwardTo: "http://127.0.0.1:9",
      receivers: { list: [{ uuid: u, codeHostKind: "BITBUCKETCLOUD", secrets: ["s"] }] },
      dataDir: tempDir(),
      logger: log.logger,
      onFatal: (err) => fatal.push(err),
    });
    expect(relay.store).toBeInstanceOf(ThreadedStore);
    await (relay.store as unknown as { worker: Worker }).worker.terminate();
    const b = Buffer.from('{"n":1}');
    const res = await post(
      `${relay.url}/.api/webhooks/${u}`,
      { "x-event-key": "repo:push", "x-hub-signature": sha("sha256", "s", b) },
      b,
    );
    expect(res.status).toBe(503);
    expect((await get(`${relay.url}/readyz`)).status).toBe(503);
    expect(fatal.map((e) => e.message)).toEqual(["the store's thread stopped (exit code 1)"]);
    expect(log.lines.join("\n")).toContain("deliveries are refused until the relay is restarted");
    await relay.close();
  });
});

describe("ThreadedStore's answers", () => {
  it("come as each call ends: a delivery stored beside a long prune is answered before the prune ends", async () => {
    const dir = tempDir();
    // Records settled long ago: three slices of prune's, with the thread's turns between them.
    const direct = new SqliteStore(dir);
    const added = await Promise.all(
      Array.from({ length: 4500 }, (_, i) =>
        direct.add({ ...base, deliveryId: `old-${i}`, body: Buffer.from("{}") }, LEASE),
      ),
    );
    await Promise.all(added.map((r) => direct.complete(claim(r), "delivered", { status: 200 }, 2000)));
    await direct.close();
    const s = await ThreadedStore.open(dir);
    try {
      const order: string[] = [];
      // Called in one turn: they travel to the thread in one message.
      const pruned = s.prune(3000).then(() => order.push("prune"));
      const stored = s
        .add({ ...base, deliveryId: "new", body: Buffer.from("{}") }, LEASE)
        .then(() => order.push("add"));
      await Promise.all([pruned, stored]);
      expect(order).toEqual(["add", "prune"]);
      expect(await s.records({}, 10)).toHaveLength(1);
    } finally {
      await s.close();
    }
  });
});

describe("a delivery's body on its way to the store", () => {
  /** The bodies a relay on `store` hands it, for one delivery. */
  async function bodiesHanded(open: (seen: Uint8Array[]) => Promise<DeliveryStore>): Promise<Uint8Array[]> {
    const bodies: Uint8Array[] = [];
    const u = "9b0c1e2d-3f4a-4b5c-8d6e-7f8091a2b3c4";
    const relay = await startRelay({
      listen: { host: "127.0.0.1", port: 0 },
      forwardTo: "http://127.0.0.1:9",
      receivers: { list: [{ uuid: u, codeHostKind: "BITBUCKETCLOUD", secrets: ["s"] }] },
      store: await open(bodies),
      logger: captureLogger().logger,
    });
    try {
      const res = await post(
        `${relay.url}/.api/webhooks/${u}`,
        { "x-event-key": "repo:push", "x-hub-signature": sha("sha256", "s", BIG) },
        BIG,
      );
      expect(res.status).toBe(202);
      expect(bodies).toHaveLength(1);
      expect(Buffer.from(bodies[0]!).equals(BIG)).toBe(true);
      return bodies;
    } finally {
      await relay.close();
    }
  }
  const BIG = Buffer.from(JSON.stringify({ n: 1, pad: "x".repeat(70_000) }));

  it("is read into shared memory for the store's thread, so that handing it over copies none of its bytes", async () => {
    const bodies = await bodiesHanded(async (seen) => {
      const store = await ThreadedStore.open(tempDir());
      const add = store.add.bind(store);
      store.add = (d, lease) => {
        seen.push(d.body);
        return add(d, lease);
      };
      return store;
    });
    expect(bodies[0]!.buffer).toBeInstanceOf(SharedArrayBuffer);
  });

  it("is an ordinary buffer for a store on the relay's own thread, which shares nothing", async () => {
    const bodies = await bodiesHanded(async (seen) => {
      const inner = new SqliteStore(tempDir());
      return storeWith(inner, {
        add: (d, lease) => {
          seen.push(d.body);
          return inner.add(d, lease);
        },
      });
    });
    expect(bodies[0]!.buffer).toBeInstanceOf(ArrayBuffer);
  });
});
