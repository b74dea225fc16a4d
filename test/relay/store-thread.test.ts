// Proves the SQLite store on its own thread keeps SqliteStore's contract across the thread boundary.
import { join } from "node:path";
import type { Worker } from "node:worker_threads";
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { DATABASE_FILE, SqliteStore, startRelay, ThreadedStore } from "../../src/relay";
import { captureLogger, get, post, sha, tempDir } from "./helpers";

const base = {
  receiverUuid: "u",
  kind: "GITHUB" as const,
  event: "push",
  headers: { "x-github-event": "push" },
  receivedAt: 1000,
};

describe("ThreadedStore", () => {
  it("stores, dedupes within one batch, settles and survives reopening, with the bytes intact", async () => {
    const dir = tempDir();
    let s = await ThreadedStore.open(dir);
    const body = Buffer.from([0, 255, 10, 13, 0x7b]);
    const [a, b, c] = await Promise.all([
      s.add({ ...base, deliveryId: "x", body }),
      s.add({ ...base, deliveryId: "x", body: Buffer.from("again") }),
      s.add({ ...base, deliveryId: "y", body: Buffer.from("3") }),
    ]);
    expect([a.duplicate, b.duplicate, c.duplicate]).toEqual([false, true, false]);
    const due = await s.due(2000, 10, new Set());
    expect(due.map((d) => Buffer.from(d.body))).toEqual([body, Buffer.from("3")]);
    expect(due[0]).toMatchObject({ deliveryId: "x", headers: { "x-github-event": "push" }, attempts: 0 });
    expect(await s.due(2000, 10, new Set([due[0]!.id]))).toHaveLength(1);
    await Promise.all([
      s.complete(due[1]!.id, "delivered", { status: 200 }, 3000),
      s.deadLetter(due[0]!.id, "rejected", { status: 400, error: "bad" }, 3000),
    ]);
    expect(await s.counts()).toEqual({ pending: 0, dead: 1 });
    await s.close();

    // What the thread committed is on disk for the next relay (and for `dlq`, which opens it directly).
    const direct = new SqliteStore(dir);
    expect((await direct.listDead()).map((d) => [d.reason, d.lastStatus])).toEqual([["rejected", 400]]);
    await direct.close();
    s = await ThreadedStore.open(dir);
    expect((await s.add({ ...base, deliveryId: "y", body })).duplicate).toBe(true);
    expect(await s.replay("all", 4000)).toBe(1);
    expect((await s.due(4000, 10, new Set())).map((d) => d.id)).toEqual([due[0]!.id]);
    await s.close();
  });

  it("replays to another receiver and purges across the thread", async () => {
    const s = await ThreadedStore.open(tempDir());
    try {
      const { id } = await s.add({ ...base, deliveryId: "x", body: Buffer.from("1") });
      await s.deadLetter(id, "unknown_receiver", { status: 404 }, 3000);
      expect(await s.purgeDead({ receiverUuid: "u" }, true)).toMatchObject([
        { id, deliveryId: "x", bytes: 1 },
      ]);
      expect(await s.replay("all", 4000, { receiverUuid: "v", kind: "GITHUB" })).toBe(1);
      expect((await s.due(4000, 10, new Set())).map((d) => d.receiverUuid)).toEqual(["v"]);
      await s.deadLetter(id, "unknown_receiver", { status: 404 }, 5000);
      expect((await s.purgeDead({ ids: [id] }, false)).map((d) => d.id)).toEqual([id]);
      expect(await s.counts()).toEqual({ pending: 0, dead: 0 });
      expect(
        (await s.add({ ...base, receiverUuid: "v", deliveryId: "x", body: Buffer.from("2") })).duplicate,
      ).toBe(false);
    } finally {
      await s.close();
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
    const waiting = s.add({ ...base, body: Buffer.from("1") });
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
