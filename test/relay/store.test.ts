// Proves the SQLite store's contract: dedupe, what is due, settling, dead letters; a failing store is a 503.
// The dead-letter operations are those `dlq replay` and `dlq purge` run; a store that cannot
// commit makes the relay answer 503, never 202, so the code host sends the delivery again.
import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { SqliteStore, startRelay } from "../../src/relay";
import { startReceiverFake } from "../../src/stand-ins/receiver";
import { captureLogger, post, sha, storeWith, tempDir, waitFor } from "./helpers";

describe("SqliteStore", () => {
  const base = {
    receiverUuid: "u",
    kind: "GITHUB" as const,
    event: "push",
    headers: { "x-github-event": "push" },
    receivedAt: 1000,
  };

  it("stores, drops a repeated delivery ID in the same batch and later, survives reopening", async () => {
    const dir = tempDir();
    let s = new SqliteStore(dir);
    const [a, b, c] = await Promise.all([
      s.add({ ...base, deliveryId: "x", body: Buffer.from("1") }),
      s.add({ ...base, deliveryId: "x", body: Buffer.from("2") }),
      s.add({ ...base, body: Buffer.from("3") }),
    ]);
    expect([a!.duplicate, b!.duplicate, c!.duplicate]).toEqual([false, true, false]);
    // GitHub shares one delivery ID between the hooks an event fires: per receiver, it is new.
    expect(
      (await s.add({ ...base, receiverUuid: "v", deliveryId: "x", body: Buffer.from("v") })).duplicate,
    ).toBe(false);
    await s.close();
    s = new SqliteStore(dir);
    expect((await s.add({ ...base, deliveryId: "x", body: Buffer.from("4") })).duplicate).toBe(true);
    const due = await s.due(2000, 10, new Set());
    expect(due.map((d) => Buffer.from(d.body).toString())).toEqual(["1", "3", "v"]);
    expect(due[0]).toMatchObject({ deliveryId: "x", headers: { "x-github-event": "push" }, attempts: 0 });
    await s.complete(due[2]!.id, "delivered", { status: 200 }, 2000);
    expect(await s.due(2000, 10, new Set([due[0]!.id]))).toHaveLength(1);
    await s.retryLater(due[0]!.id, 5000, { status: 503 }, 2000);
    expect(await s.nextDueAt()).toBe(1000);
    await s.deadLetter(
      due[1]!.id,
      "bad_signature",
      { status: 400, error: "Could not validate payload with secret." },
      3000,
    );
    expect(await s.counts()).toEqual({ pending: 1, dead: 1 });
    expect(await s.listDead()).toMatchObject([
      { id: due[1]!.id, reason: "bad_signature", lastStatus: 400, attempts: 1 },
    ]);
    expect(await s.replay({ ids: [due[1]!.id, 999] }, 6000)).toBe(1);
    const again = await s.due(6000, 10, new Set());
    expect(again.map((d) => [d.id, d.windowStart, d.attempts]).sort()).toEqual(
      [
        [due[0]!.id, 1000, 1],
        [due[1]!.id, 6000, 0],
      ].sort(),
    );
    await s.complete(due[0]!.id, "delivered", { status: 200 }, 6000);
    await s.complete(due[1]!.id, "ignored", { status: 204 }, 6000);
    expect(await s.counts()).toEqual({ pending: 0, dead: 0 });
    // The dedupe window runs from settlement.
    await s.prune(6000);
    expect((await s.add({ ...base, deliveryId: "x", body: Buffer.from("5") })).duplicate).toBe(true);
    await s.prune(6001);
    expect((await s.add({ ...base, deliveryId: "x", body: Buffer.from("5") })).duplicate).toBe(false);
    await s.close();
  });
});

describe("SqliteStore: the dead-letter commands", () => {
  const base = { kind: "GITHUB" as const, event: "push", headers: {}, receivedAt: 1000 };
  /** Stores each delivery and dead-letters it at `deadAt`; returns their ids. */
  async function deadLetters(
    s: SqliteStore,
    list: Array<{ receiverUuid: string; deliveryId?: string; deadAt: number; kind?: "GITLAB" }>,
  ) {
    const ids: number[] = [];
    for (const [i, d] of list.entries()) {
      const { id } = await s.add({ ...base, ...d, body: Buffer.from(`body ${i}`) });
      await s.deadLetter(id, "unknown_receiver", { status: 404 }, d.deadAt);
      ids.push(id);
    }
    return ids;
  }

  it("purgeDead removes what the filter selects, says what it removed, and forgets the delivery IDs", async () => {
    const s = new SqliteStore(tempDir());
    try {
      const [a, b, c, d] = await deadLetters(s, [
        { receiverUuid: "old", deliveryId: "d-a", deadAt: 2000 },
        { receiverUuid: "old", deliveryId: "d-b", deadAt: 9000 },
        { receiverUuid: "other", deliveryId: "d-c", deadAt: 3000 },
        { receiverUuid: "other", deadAt: 9000 },
      ]);
      const pending = await s.add({
        ...base,
        receiverUuid: "old",
        deliveryId: "d-p",
        body: Buffer.from("p"),
      });

      // A dry run removes nothing.
      expect((await s.purgeDead({ receiverUuid: "old" }, true)).map((x) => x.id)).toEqual([a, b]);
      expect((await s.counts()).dead).toBe(4);

      expect(await s.purgeDead({ deadBefore: 5000 }, false)).toEqual([
        {
          id: a,
          receiverUuid: "old",
          kind: "GITHUB",
          event: "push",
          deliveryId: "d-a",
          reason: "unknown_receiver",
          deadAt: 2000,
          bytes: 6,
        },
        {
          id: c,
          receiverUuid: "other",
          kind: "GITHUB",
          event: "push",
          deliveryId: "d-c",
          reason: "unknown_receiver",
          deadAt: 3000,
          bytes: 6,
        },
      ]);
      expect((await s.purgeDead({ ids: [d!, 12345] }, false)).map((x) => x.id)).toEqual([d]);
      expect((await s.listDead()).map((x) => x.id)).toEqual([b]);

      // A purged delivery's redelivery is new; a pending one is a duplicate (a dead one is revived:
      // records.test.ts).
      const again = (receiverUuid: string, deliveryId: string) =>
        s.add({ ...base, receiverUuid, deliveryId, body: Buffer.from("again") });
      expect((await again("old", "d-a")).duplicate).toBe(false);
      expect((await again("other", "d-c")).duplicate).toBe(false);
      expect((await again("old", "d-p")).duplicate).toBe(true);
      expect(pending.duplicate).toBe(false);

      expect((await s.purgeDead("all", false)).map((x) => x.id)).toEqual([b]);
      expect((await s.counts()).dead).toBe(0);
    } finally {
      await s.close();
    }
  });

  it("replay with a retarget moves dead letters of the same kind to another receiver, and only those", async () => {
    const s = new SqliteStore(tempDir());
    try {
      const [gh, gl] = await deadLetters(s, [
        { receiverUuid: "old", deliveryId: "d-1", deadAt: 2000 },
        { receiverUuid: "old", deliveryId: "d-2", deadAt: 2000, kind: "GITLAB" },
      ]);
      expect(await s.replay({ receiverUuid: "old" }, 5000, { receiverUuid: "new", kind: "GITHUB" })).toBe(1);
      const due = await s.due(5000, 10, new Set());
      expect(due.map((d) => [d.id, d.receiverUuid, d.attempts, d.windowStart])).toEqual([
        [gh, "new", 0, 5000],
      ]);
      expect((await s.listDead()).map((d) => [d.id, d.receiverUuid])).toEqual([[gl, "old"]]);
      // The new receiver's code host redelivering it while it is queued: a duplicate.
      expect(
        (await s.add({ ...base, receiverUuid: "new", deliveryId: "d-1", body: Buffer.from("x") })).duplicate,
      ).toBe(true);
    } finally {
      await s.close();
    }
  });
});

describe("a store that fails", () => {
  it("is answered 503, never 202, and the delivery is taken when it is sent again", async () => {
    const u = randomUUID();
    const sg = await startReceiverFake([{ uuid: u, codeHostKind: "BITBUCKETCLOUD", secret: "s" }]);
    const dir = tempDir();
    const real = new SqliteStore(dir);
    let full = true;
    const store = storeWith(real, {
      add: (d) => (full ? Promise.reject(new Error("SQLITE_FULL: database or disk is full")) : real.add(d)),
    });
    const relay = await startRelay({
      listen: { host: "127.0.0.1", port: 0 },
      forwardTo: sg.url,
      receivers: { list: [{ uuid: u, codeHostKind: "BITBUCKETCLOUD", secrets: ["s"] }] },
      dataDir: dir,
      store,
      logger: captureLogger().logger,
    });
    const b = Buffer.from('{"n":1}');
    const headers = {
      "x-event-key": "repo:push",
      "x-request-uuid": randomUUID(),
      "x-hub-signature": sha("sha256", "s", b),
    };
    const hook = `${relay.url}/.api/webhooks/${u}`;
    expect((await post(hook, headers, b)).status).toBe(503);
    full = false;
    // Not remembered as seen either: the code host's retry of the same request goes through.
    expect((await post(hook, headers, b)).status).toBe(202);
    await waitFor(() => sg.accepted.length === 1, 5000, "the delivery to be forwarded");
    await relay.close();
    await sg.close();
  });
});
