// Proves the relay records Sourcegraph's answer to each delivery, keys GitHub's by hook, revives dead ones.
// What the relay keeps for `doctor` and `redeliver`: the dedupe key with GitHub's hook ID, a dead
// letter revived by the code host's redelivery, and Sourcegraph's answer recorded for every
// delivery, kept without its body for the dedupe window after it is settled.
import { randomUUID } from "node:crypto";
import { join } from "node:path";
import Database from "better-sqlite3";
import pino from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { DATABASE_FILE, type Relay, SqliteStore, startRelay, ThreadedStore } from "../../src/relay";
import type { DeliveryRecord } from "../../src/relay/store";
import { type ReceiverFake, startReceiverFake } from "../../src/stand-ins/receiver";
import { post, sha, tempDir, waitFor } from "./helpers";

const base = {
  receiverUuid: "u",
  kind: "GITHUB" as const,
  event: "push",
  headers: { "x-github-event": "push" },
  receivedAt: 1000,
};
const body = (text: string) => Buffer.from(text);

/** The body and headers columns of a delivery, read from the file itself. */
function storedBytes(dir: string, id: number) {
  const db = new Database(join(dir, DATABASE_FILE), { readonly: true });
  try {
    return db.prepare("SELECT headers, body FROM deliveries WHERE id = ?").get(id) as
      | { headers: string | null; body: Buffer | null }
      | undefined;
  } finally {
    db.close();
  }
}

describe("SqliteStore: a code host's redelivery", () => {
  it("of a dead or expired delivery revives it with the new bytes; of a delivered or pending one is a duplicate", async () => {
    const s = new SqliteStore(tempDir());
    try {
      const ids: Record<string, number> = {};
      for (const key of ["dead", "expired", "delivered", "ignored", "pending"])
        ids[key] = (await s.add({ ...base, deliveryId: key, body: body(`old ${key}`) })).id;
      await s.deadLetter(ids.dead!, "bad_signature", { status: 400, error: "Could not validate" }, 2000);
      await s.deadLetter(ids.expired!, "expired", { error: "ECONNREFUSED" }, 3000);
      await s.complete(ids.delivered!, "delivered", { status: 200 }, 2000);
      await s.complete(ids.ignored!, "ignored", { status: 204 }, 2000);

      const again = (key: string) =>
        s.add({ ...base, deliveryId: key, body: body(`new ${key}`), receivedAt: 5000 });
      expect(await again("dead")).toEqual({ id: ids.dead, duplicate: false, revived: true });
      expect(await again("expired")).toEqual({ id: ids.expired, duplicate: false, revived: true });
      expect(await again("delivered")).toEqual({ id: ids.delivered, duplicate: true, revived: false });
      expect(await again("ignored")).toEqual({ id: ids.ignored, duplicate: true, revived: false });
      expect(await again("pending")).toEqual({ id: ids.pending, duplicate: true, revived: false });

      expect(await s.counts()).toEqual({ pending: 3, dead: 0 });
      const due = await s.due(5000, 10, new Set());
      expect(
        due.map((d) => [d.deliveryId, Buffer.from(d.body).toString(), d.attempts, d.windowStart]),
      ).toEqual([
        ["pending", "old pending", 0, 1000],
        ["dead", "new dead", 0, 5000],
        ["expired", "new expired", 0, 5000],
      ]);
      const revived = await s.records({ states: ["pending"], since: 5000 }, 10);
      expect(
        revived.map((r) => [r.deliveryId, r.state, r.attempts, r.receivedAt, r.settledAt, r.reason]),
      ).toEqual([
        ["expired", "pending", 0, 5000, undefined, undefined],
        ["dead", "pending", 0, 5000, undefined, undefined],
      ]);
    } finally {
      await s.close();
    }
  });

  it("keys on GitHub's hook ID: one event sent by two hooks is two deliveries, each deduplicated", async () => {
    const s = new SqliteStore(tempDir());
    try {
      const hook = (hookId: string | undefined, text: string) =>
        s.add({ ...base, deliveryId: "guid-1", ...(hookId ? { hookId } : {}), body: body(text) });
      const [one, two, oneAgain] = await Promise.all([hook("11", "a"), hook("22", "b"), hook("11", "c")]);
      expect([one.duplicate, two.duplicate, oneAgain.duplicate]).toEqual([false, false, true]);
      expect(one.id).not.toBe(two.id);
      // A delivery that names no hook cannot be told apart from either: a duplicate, as before.
      expect((await hook(undefined, "d")).duplicate).toBe(true);
      expect((await s.records({ deliveryId: "guid-1" }, 10)).map((r) => r.hookId).sort()).toEqual([
        "11",
        "22",
      ]);
    } finally {
      await s.close();
    }
  });
});

describe("SqliteStore: the records of settled deliveries", () => {
  it("keep Sourcegraph's answer without headers or body for the dedupe window, then are pruned", async () => {
    const dir = tempDir();
    const s = new SqliteStore(dir);
    try {
      const add = (key: string | undefined, receiverUuid = "u") =>
        s.add({ ...base, receiverUuid, ...(key ? { deliveryId: key } : {}), body: body(`body ${key}`) });
      const delivered = (await add("d")).id;
      const ignored = (await add("i")).id;
      const dead = (await add("x")).id;
      const pending = (await add(undefined, "v")).id;
      await s.retryLater(delivered, 1500, { status: 502, error: "bad gateway" }, 1100);
      await s.complete(delivered, "delivered", { status: 200 }, 2000);
      await s.complete(ignored, "ignored", { status: 204 }, 2100);
      await s.deadLetter(dead, "rejected", { status: 403, error: "forbidden" }, 2200);
      await s.retryLater(pending, 9000, { error: "timed out after 30000 ms" }, 2300);

      const records = await s.records({}, 10);
      const byId = new Map(records.map((r) => [r.id, r]));
      expect(byId.get(delivered)).toEqual({
        id: delivered,
        receiverUuid: "u",
        kind: "GITHUB",
        event: "push",
        deliveryId: "d",
        state: "delivered",
        attempts: 2,
        lastStatus: 200,
        lastAttemptAt: 2000,
        receivedAt: 1000,
        settledAt: 2000,
      } satisfies DeliveryRecord);
      expect(byId.get(ignored)).toMatchObject({
        state: "ignored",
        lastStatus: 204,
        attempts: 1,
        settledAt: 2100,
      });
      expect(byId.get(dead)).toMatchObject({
        state: "dead",
        reason: "rejected",
        lastStatus: 403,
        lastError: "forbidden",
        settledAt: 2200,
      });
      expect(byId.get(pending)).toMatchObject({
        state: "pending",
        attempts: 1,
        lastError: "timed out after 30000 ms",
        lastAttemptAt: 2300,
      });
      expect(byId.get(pending)).not.toHaveProperty("lastStatus");
      for (const r of records) {
        expect(Object.keys(r)).not.toContain("body");
        expect(Object.keys(r)).not.toContain("headers");
      }
      // On disk: the settled rows hold neither; the dead letter keeps both for replay.
      expect(storedBytes(dir, delivered)).toEqual({ headers: null, body: null });
      expect(storedBytes(dir, ignored)).toEqual({ headers: null, body: null });
      expect(storedBytes(dir, dead)!.body!.toString()).toBe("body x");

      // Within the window (which runs from settlement), the record still drops a redelivery.
      await s.prune(2000);
      expect((await add("d")).duplicate).toBe(true);
      await s.prune(2200);
      expect((await s.records({}, 10)).map((r) => r.id).sort()).toEqual([dead, pending].sort());
      expect(storedBytes(dir, delivered)).toBeUndefined();
      // Past it, a redelivery is a new delivery; the dead letter and the pending one are kept.
      expect((await add("d")).duplicate).toBe(false);
      expect((await add("i")).duplicate).toBe(false);
      expect(await s.counts()).toEqual({ pending: 3, dead: 1 });
    } finally {
      await s.close();
    }
  });

  it("are pruned however many there are (prune works in slices)", async () => {
    const s = new SqliteStore(tempDir());
    try {
      const added = await Promise.all(
        Array.from({ length: 4500 }, (_, i) => s.add({ ...base, deliveryId: `many-${i}`, body: body("b") })),
      );
      await Promise.all(added.map(({ id }) => s.complete(id, "delivered", { status: 200 }, 2000)));
      expect(await s.records({ states: ["delivered"] }, 10_000)).toHaveLength(4500);
      await s.prune(2001);
      expect(await s.records({}, 10_000)).toEqual([]);
    } finally {
      await s.close();
    }
  });

  it("are read by receiver, time, state and delivery ID, newest first, never more than the limit", async () => {
    const s = new SqliteStore(tempDir());
    try {
      const add = async (receiverUuid: string, deliveryId: string, receivedAt: number) =>
        (await s.add({ ...base, receiverUuid, deliveryId, receivedAt, body: body("b") })).id;
      const a1 = await add("a", "1", 1000);
      const a2 = await add("a", "2", 2000);
      const a3 = await add("a", "3", 3000);
      const b1 = await add("b", "1", 4000);
      await s.deadLetter(a1, "expired", { error: "ECONNREFUSED" }, 5000);
      await s.deadLetter(a2, "bad_signature", { status: 400 }, 5000);
      await s.complete(a3, "delivered", { status: 200 }, 5000);

      const ids = async (...args: Parameters<SqliteStore["records"]>) =>
        (await s.records(...args)).map((r) => r.id);
      expect(await ids({}, 10)).toEqual([b1, a3, a2, a1]);
      expect(await ids({}, 2)).toEqual([b1, a3]);
      expect(await ids({ receiverUuid: "a" }, 10)).toEqual([a3, a2, a1]);
      expect(await ids({ since: 2000 }, 10)).toEqual([b1, a3, a2]);
      expect(await ids({ states: ["expired"] }, 10)).toEqual([a1]);
      expect(await ids({ states: ["dead"] }, 10)).toEqual([a2]);
      expect(await ids({ states: ["dead", "expired"], receiverUuid: "a", since: 1500 }, 10)).toEqual([a2]);
      expect(await ids({ states: ["delivered", "pending"] }, 10)).toEqual([b1, a3]);
      expect(await ids({ states: [] }, 10)).toEqual([]);
      expect(await ids({ deliveryId: "1" }, 10)).toEqual([b1, a1]);
      expect((await s.records({ states: ["expired"] }, 1))[0]).toMatchObject({
        state: "expired",
        reason: "expired",
      });
      await expect(s.records({ states: ["lost" as "dead"] }, 1)).rejects.toThrow(
        /unknown delivery state "lost"; one of pending, delivered, ignored, dead, expired/,
      );
    } finally {
      await s.close();
    }
  });

  it("are read across the store's thread", async () => {
    const s = await ThreadedStore.open(tempDir());
    try {
      const { id } = await s.add({ ...base, deliveryId: "t", hookId: "9", body: body("b") });
      await s.complete(id, "delivered", { status: 202 }, 3000);
      expect(await s.records({ receiverUuid: "u" }, 5)).toEqual([
        expect.objectContaining({ id, hookId: "9", state: "delivered", lastStatus: 202, settledAt: 3000 }),
      ]);
    } finally {
      await s.close();
    }
  });
});

describe("relay: records and revival end to end", () => {
  let fake: ReceiverFake | undefined;
  let relay: Relay | undefined;
  afterEach(async () => {
    await relay?.close();
    await fake?.close();
    relay = undefined;
    fake = undefined;
  });

  const github = (secret: string, payload: Buffer, delivery: string, hook?: string) => ({
    "content-type": "application/json",
    "x-github-event": "push",
    "x-github-delivery": delivery,
    ...(hook ? { "x-github-hook-id": hook } : {}),
    "x-hub-signature-256": sha("sha256", secret, payload),
  });

  async function start(sourcegraphSecret: string) {
    const uuid = randomUUID();
    fake = await startReceiverFake([{ uuid, codeHostKind: "GITHUB", secret: sourcegraphSecret }]);
    relay = await startRelay({
      listen: { host: "127.0.0.1", port: 0 },
      forwardTo: fake.url,
      receivers: { list: [{ uuid, codeHostKind: "GITHUB", secrets: ["relay-secret"] }] },
      dataDir: tempDir(),
      retryBaseMs: 5,
      retryMaxDelayMs: 20,
      logger: pino({ level: "silent" }),
    });
    return { uuid, url: `${relay.url}/.api/webhooks/${uuid}` };
  }

  const recordsOf = (deliveryId: string) => relay!.store.records({ deliveryId }, 10);

  it("one GitHub event through two hooks reaches Sourcegraph twice; a hook's redelivery does not", async () => {
    const { url } = await start("relay-secret");
    const payload = Buffer.from('{"ref":"refs/heads/main"}');
    const guid = randomUUID();
    const send = async (hook: string) =>
      (await post(url, github("relay-secret", payload, guid, hook), payload)).text.trim();
    expect(await send("101")).toBe("accepted");
    expect(await send("202")).toBe("accepted");
    expect(await send("101")).toBe("already accepted");
    await waitFor(
      async () => (await recordsOf(guid)).every((r) => r.state === "delivered") && fake!.accepted.length >= 2,
      10_000,
      "both hooks' deliveries",
    );
    expect(fake!.accepted).toHaveLength(2);
    expect(fake!.accepted.map((d) => d.headers["x-github-hook-id"]).sort()).toEqual(["101", "202"]);
    expect((await recordsOf(guid)).map((r) => [r.hookId, r.state, r.lastStatus, r.attempts]).sort()).toEqual([
      ["101", "delivered", 200, 1],
      ["202", "delivered", 200, 1],
    ]);
  });

  it("records Sourcegraph's failures and its final answer", async () => {
    const { url } = await start("relay-secret");
    fake!.outage = 503;
    const payload = Buffer.from('{"ref":"refs/heads/outage"}');
    const guid = randomUUID();
    expect((await post(url, github("relay-secret", payload, guid, "7"), payload)).status).toBe(202);
    await waitFor(async () => ((await recordsOf(guid))[0]?.attempts ?? 0) >= 2, 10_000, "retries");
    expect((await recordsOf(guid))[0]).toMatchObject({ state: "pending", lastStatus: 503 });
    fake!.outage = undefined;
    await waitFor(async () => (await recordsOf(guid))[0]?.state === "delivered", 10_000, "delivery");
    const [record] = await recordsOf(guid);
    expect(record).toMatchObject({ state: "delivered", lastStatus: 200, hookId: "7" });
    expect(record!.attempts).toBeGreaterThanOrEqual(3);
    expect(record!.settledAt).toBeGreaterThanOrEqual(record!.receivedAt);
  });

  it("a dead letter is revived by the code host's redelivery once the cause is fixed, and forwarded", async () => {
    // Sourcegraph holds another secret: the forwarded delivery is refused and dead-lettered.
    const { uuid, url } = await start("sourcegraph-secret");
    const payload = Buffer.from('{"ref":"refs/heads/dead"}');
    const guid = randomUUID();
    expect((await post(url, github("relay-secret", payload, guid, "5"), payload)).status).toBe(202);
    await waitFor(async () => (await recordsOf(guid))[0]?.state === "dead", 10_000, "the dead letter");
    expect((await recordsOf(guid))[0]).toMatchObject({ reason: "bad_signature", lastStatus: 400 });

    // Fixed in Sourcegraph; the code host redelivers (the same GUID and hook, bytes signed again).
    fake!.receivers.get(uuid)!.secret = "relay-secret";
    const redelivered = Buffer.from('{"ref":"refs/heads/dead","again":true}');
    const res = await post(url, github("relay-secret", redelivered, guid, "5"), redelivered);
    expect(res.text.trim()).toBe("accepted");
    await waitFor(
      async () => (await recordsOf(guid))[0]?.state === "delivered",
      10_000,
      "the revived delivery",
    );
    expect(fake!.accepted.map((d) => d.body.toString())).toEqual([redelivered.toString()]);
    expect(await recordsOf(guid)).toHaveLength(1);
    expect((await recordsOf(guid))[0]).toMatchObject({ attempts: 1, lastStatus: 200 });
    // Delivered now: a further redelivery is a duplicate.
    expect((await post(url, github("relay-secret", redelivered, guid, "5"), redelivered)).text.trim()).toBe(
      "already accepted",
    );
  });
});
