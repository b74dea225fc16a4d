// The store contract's records: what `doctor` and `redeliver` read (Sourcegraph's answer to every
// delivery, kept without its body for the dedupe window after it is settled), the dedupe key with
// GitHub's hook ID, and a dead letter revived by the code host's redelivery. See store-contract.ts.
import { describe, expect, it } from "vitest";
import type { DeliveryRecord, DeliveryStore } from "../../src/relay/store";
import {
  addFree,
  backings,
  body,
  claimOf,
  delivery,
  LEASE_A,
  LEASE_B,
  type StoreFactory,
  text,
} from "./store-contract-kit";

export function describeRecords(name: string, factory: StoreFactory): void {
  describe(`${name}: a code host's redelivery`, () => {
    const open = backings(factory);

    it("of a dead or expired delivery revives it with the new bytes; of a delivered, ignored or pending one is a duplicate", async () => {
      const { store: s } = await open();
      const added: Record<string, Awaited<ReturnType<DeliveryStore["add"]>>> = {};
      for (const key of ["dead", "expired", "delivered", "ignored", "pending"])
        added[key] = await s.add(delivery({ deliveryId: key, body: body(`old ${key}`) }), LEASE_A);
      const claim = (key: string) => claimOf(added[key]!);
      await s.deadLetter(claim("dead"), "bad_signature", { status: 400, error: "Could not validate" }, 2000);
      await s.deadLetter(claim("expired"), "expired", { error: "ECONNREFUSED" }, 3000);
      await s.complete(claim("delivered"), "delivered", { status: 200 }, 2000);
      await s.complete(claim("ignored"), "ignored", { status: 204 }, 2000);
      await s.release([claim("pending")]);

      const again = (key: string) =>
        s.add(delivery({ deliveryId: key, body: body(`new ${key}`), receivedAt: 5000 }), LEASE_B);
      const revivedDead = await again("dead");
      expect(revivedDead).toMatchObject({ id: added.dead!.id, duplicate: false, revived: true });
      const revivedExpired = await again("expired");
      expect(revivedExpired).toMatchObject({ id: added.expired!.id, duplicate: false, revived: true });
      for (const key of ["delivered", "ignored", "pending"])
        expect(await again(key)).toEqual({ id: added[key]!.id, duplicate: true, revived: false });

      expect(await s.counts()).toEqual({ pending: 3, dead: 0 });
      // The revived ones are the reviving relay's; the pending one is free.
      const free = await s.claim(5000, 10, LEASE_A);
      expect(free.map((d) => [d.deliveryId, text(d.body), d.attempts, d.windowStart])).toEqual([
        ["pending", "old pending", 0, 1000],
      ]);
      await s.release(free);
      await s.release([claimOf(revivedDead), claimOf(revivedExpired)]);
      expect(
        (await s.claim(5000, 10, LEASE_A)).map((d) => [
          d.deliveryId,
          text(d.body),
          d.attempts,
          d.windowStart,
        ]),
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
    });

    it("keys on GitHub's hook ID: one event sent by two hooks is two deliveries, each deduplicated", async () => {
      const { store: s } = await open();
      const hook = (hookId: string | undefined, t: string) =>
        s.add(delivery({ deliveryId: "guid-1", ...(hookId ? { hookId } : {}), body: body(t) }), LEASE_A);
      const [one, two, oneAgain] = await Promise.all([hook("11", "a"), hook("22", "b"), hook("11", "c")]);
      expect([one.duplicate, two.duplicate, oneAgain.duplicate]).toEqual([false, false, true]);
      expect(one.id).not.toBe(two.id);
      // A delivery that names no hook cannot be told apart from either: a duplicate.
      expect((await hook(undefined, "d")).duplicate).toBe(true);
      expect((await s.records({ deliveryId: "guid-1" }, 10)).map((r) => r.hookId).sort()).toEqual([
        "11",
        "22",
      ]);
    });
  });

  describe(`${name}: the records of settled deliveries`, () => {
    const open = backings(factory);

    it("keep Sourcegraph's answer without headers or body for the dedupe window, then are pruned", async () => {
      const { store: s } = await open();
      const add = async (key: string | undefined, receiverUuid = "u") =>
        s.add(
          delivery({ receiverUuid, ...(key ? { deliveryId: key } : {}), body: body(`body ${key}`) }),
          LEASE_A,
        );
      const delivered = await add("d");
      const ignored = await add("i");
      const dead = await add("x");
      const pending = await add(undefined, "v");
      await s.retryLater(claimOf(delivered), 1500, { status: 502, error: "bad gateway" }, 1100);
      const [again] = await s.claim(1500, 10, LEASE_A);
      await s.complete(again!, "delivered", { status: 200 }, 2000);
      await s.complete(claimOf(ignored), "ignored", { status: 204 }, 2100);
      await s.deadLetter(claimOf(dead), "rejected", { status: 403, error: "forbidden" }, 2200);
      await s.retryLater(claimOf(pending), 9000, { error: "timed out after 30000 ms" }, 2300);

      const records = await s.records({}, 10);
      const byId = new Map(records.map((r) => [r.id, r]));
      expect(byId.get(delivered.id)).toEqual({
        id: delivered.id,
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
      expect(byId.get(ignored.id)).toMatchObject({
        state: "ignored",
        lastStatus: 204,
        attempts: 1,
        settledAt: 2100,
      });
      expect(byId.get(dead.id)).toMatchObject({
        state: "dead",
        reason: "rejected",
        lastStatus: 403,
        lastError: "forbidden",
        settledAt: 2200,
      });
      expect(byId.get(pending.id)).toMatchObject({
        state: "pending",
        attempts: 1,
        lastError: "timed out after 30000 ms",
        lastAttemptAt: 2300,
      });
      expect(byId.get(pending.id)).not.toHaveProperty("lastStatus");
      for (const r of records) {
        expect(Object.keys(r)).not.toContain("body");
        expect(Object.keys(r)).not.toContain("headers");
      }

      // Within the window (which runs from settlement), the record still drops a redelivery.
      await s.prune(2000);
      expect((await add("d")).duplicate).toBe(true);
      await s.prune(2200);
      expect((await s.records({}, 10)).map((r) => r.id).sort()).toEqual([dead.id, pending.id].sort());
      // Past it, a redelivery is a new delivery; the dead letter and the pending one are kept.
      expect((await add("d")).duplicate).toBe(false);
      expect((await add("i")).duplicate).toBe(false);
      expect(await s.counts()).toEqual({ pending: 3, dead: 1 });
    });

    it("are pruned however many there are", async () => {
      const { store: s } = await open();
      const added = await Promise.all(
        Array.from({ length: 4500 }, (_, i) => s.add(delivery({ deliveryId: `many-${i}` }), LEASE_A)),
      );
      const settled = await Promise.all(
        added.map((r) => s.complete(claimOf(r), "delivered", { status: 200 }, 2000)),
      );
      expect(settled.every(Boolean)).toBe(true);
      expect(await s.records({ states: ["delivered"] }, 10_000)).toHaveLength(4500);
      await s.prune(2001);
      expect(await s.records({}, 10_000)).toEqual([]);
    });

    it("are read by receiver, time, state and delivery ID, newest first, never more than the limit", async () => {
      const { store: s } = await open();
      const add = async (receiverUuid: string, deliveryId: string, receivedAt: number) =>
        s.add(delivery({ receiverUuid, deliveryId, receivedAt }), LEASE_A);
      const a1 = await add("a", "1", 1000);
      const a2 = await add("a", "2", 2000);
      const a3 = await add("a", "3", 3000);
      const b1 = await add("b", "1", 4000);
      await s.deadLetter(claimOf(a1), "expired", { error: "ECONNREFUSED" }, 5000);
      await s.deadLetter(claimOf(a2), "bad_signature", { status: 400 }, 5000);
      await s.complete(claimOf(a3), "delivered", { status: 200 }, 5000);

      const ids = async (...args: Parameters<DeliveryStore["records"]>) =>
        (await s.records(...args)).map((r) => r.id);
      expect(await ids({}, 10)).toEqual([b1.id, a3.id, a2.id, a1.id]);
      expect(await ids({}, 2)).toEqual([b1.id, a3.id]);
      expect(await ids({ receiverUuid: "a" }, 10)).toEqual([a3.id, a2.id, a1.id]);
      expect(await ids({ since: 2000 }, 10)).toEqual([b1.id, a3.id, a2.id]);
      expect(await ids({ states: ["expired"] }, 10)).toEqual([a1.id]);
      expect(await ids({ states: ["dead"] }, 10)).toEqual([a2.id]);
      expect(await ids({ states: ["dead", "expired"], receiverUuid: "a", since: 1500 }, 10)).toEqual([a2.id]);
      expect(await ids({ states: ["delivered", "pending"] }, 10)).toEqual([b1.id, a3.id]);
      expect(await ids({ states: [] }, 10)).toEqual([]);
      expect(await ids({ deliveryId: "1" }, 10)).toEqual([b1.id, a1.id]);
      expect((await s.records({ states: ["expired"] }, 1))[0]).toMatchObject({
        state: "expired",
        reason: "expired",
      });
      await expect(s.records({ states: ["lost" as "dead"] }, 1)).rejects.toThrow(
        /unknown delivery state "lost"; one of pending, delivered, ignored, dead, expired/,
      );
    });

    it("are the same from a second handle on the same backing (another relay, or doctor)", async () => {
      const backing = await open();
      const id = await addFree(backing.store, delivery({ deliveryId: "t", hookId: "9" }));
      const [c] = await backing.store.claim(2000, 1, LEASE_A);
      await backing.store.complete(c!, "delivered", { status: 202 }, 3000);
      const other = await backing.openAnother();
      expect(await other.records({ receiverUuid: "u" }, 5)).toEqual([
        expect.objectContaining({ id, hookId: "9", state: "delivered", lastStatus: 202, settledAt: 3000 }),
      ]);
    });
  });
}
