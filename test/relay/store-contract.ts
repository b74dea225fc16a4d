// The delivery store's contract as one suite, run against every store: SQLite on its own and on
// its thread (store-sqlite.test.ts), PostgreSQL (store-postgres.test.ts). A store's test file calls
// `describeDeliveryStore(name, factory)`; the factory (StoreBacking in store-contract-kit.ts says
// what it must provide) opens a store on a fresh backing and can open a second one on the same
// backing, as a second relay on the same database. This part holds the queue: dedupe, what is
// claimed, settling, the dead-letter commands; the claims and the records have parts of their own.
import { describe, expect, it } from "vitest";
import type { DeliveryStore } from "../../src/relay/store";
import { describeClaims } from "./store-contract-claims";
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
import { describeRecords } from "./store-contract-records";

export type { StoreBacking, StoreFactory } from "./store-contract-kit";

export function describeDeliveryStore(name: string, factory: StoreFactory): void {
  describeQueue(name, factory);
  describeDeadLetters(name, factory);
  describeClaims(name, factory);
  describeRecords(name, factory);
}

function describeQueue(name: string, factory: StoreFactory): void {
  describe(`${name}: the queue`, () => {
    const open = backings(factory);

    it("stores, drops a repeated delivery ID in one batch and later, per receiver, and keeps it across a restart", async () => {
      const backing = await open();
      const s = backing.store;
      const [a, dup, c] = await Promise.all([
        s.add(delivery({ deliveryId: "x", body: body("1") }), LEASE_A),
        s.add(delivery({ deliveryId: "x", body: body("2") }), LEASE_A),
        s.add(delivery({ body: body("3") }), LEASE_A),
      ]);
      expect([a.duplicate, dup.duplicate, c.duplicate]).toEqual([false, true, false]);
      expect([a.revived, c.revived]).toEqual([false, false]);
      // A duplicate names the delivery it duplicates, and claims nothing.
      expect(dup).toEqual({ id: a.id, duplicate: true, revived: false });
      // GitHub shares one delivery ID between the hooks an event fires: per receiver, it is new.
      const v = await s.add(delivery({ receiverUuid: "v", deliveryId: "x", body: body("v") }), LEASE_A);
      expect(v.duplicate).toBe(false);
      await s.release([claimOf(a), claimOf(c), claimOf(v)]);
      await s.close();

      const again = await backing.openAnother();
      expect((await again.add(delivery({ deliveryId: "x", body: body("4") }), LEASE_A)).duplicate).toBe(true);
      const claimed = await again.claim(2000, 10, LEASE_A);
      expect(claimed.map((d) => [d.id, text(d.body)])).toEqual([
        [a.id, "1"],
        [c.id, "3"],
        [v.id, "v"],
      ]);
      expect(claimed[0]).toMatchObject({
        receiverUuid: "u",
        kind: "GITHUB",
        event: "push",
        deliveryId: "x",
        headers: { "x-github-event": "push" },
        receivedAt: 1000,
        windowStart: 1000,
        attempts: 0,
      });
      expect(claimed[1]).not.toHaveProperty("deliveryId");
      expect(claimed[1]).not.toHaveProperty("hookId");
    });

    it("claims what is due, oldest due first, at most the limit, with the bytes and headers as they came", async () => {
      const { store: s } = await open();
      // Bytes a text round trip would change, and a header value beyond ASCII.
      const binary = Buffer.from([0, 255, 10, 13, 0x7b, 0xc3, 0xa9]);
      const late = await addFree(s, delivery({ receivedAt: 3000, body: body("late") }));
      const first = await addFree(
        s,
        delivery({
          receivedAt: 1000,
          body: binary,
          headers: { "x-github-event": "push", "user-agent": "hé" },
        }),
      );
      const second = await addFree(s, delivery({ receivedAt: 2000, body: body("second") }));
      const now = await s.claim(2500, 1, LEASE_A);
      expect(now.map((d) => d.id)).toEqual([first]);
      expect(Buffer.from(now[0]!.body).equals(binary)).toBe(true);
      expect(now[0]!.headers).toEqual({ "x-github-event": "push", "user-agent": "hé" });
      expect((await s.claim(2500, 10, LEASE_A)).map((d) => d.id)).toEqual([second]);
      // Not due yet, then due.
      expect(await s.claim(2999, 10, LEASE_A)).toEqual([]);
      expect((await s.claim(3000, 10, LEASE_A)).map((d) => d.id)).toEqual([late]);
    });

    it("settles by the claim: complete, retry later (due again then), dead-letter; a settled claim settles nothing more", async () => {
      const { store: s } = await open();
      for (const n of [1, 2, 3]) await addFree(s, delivery({ deliveryId: `d${n}`, body: body(`${n}`) }));
      const [c1, c2, c3] = await s.claim(2000, 10, LEASE_A);
      expect(await s.retryLater(c1!, 5000, { status: 503, error: "unavailable" }, 2000)).toBe(true);
      expect(await s.complete(c2!, "delivered", { status: 200 }, 2000)).toBe(true);
      expect(
        await s.deadLetter(
          c3!,
          "bad_signature",
          { status: 400, error: "Could not validate payload with secret." },
          3000,
        ),
      ).toBe(true);
      expect(await s.counts()).toEqual({ pending: 1, dead: 1 });
      expect(await s.listDead()).toEqual([
        expect.objectContaining({
          id: c3!.id,
          deliveryId: "d3",
          reason: "bad_signature",
          lastStatus: 400,
          lastError: "Could not validate payload with secret.",
          attempts: 1,
          deadAt: 3000,
        }),
      ]);
      // The dead letter keeps its bytes for replay.
      expect(text((await s.listDead())[0]!.body)).toBe("3");

      // Settled: the claims are spent.
      expect(await s.complete(c2!, "ignored", { status: 204 }, 2100)).toBe(false);
      expect(await s.retryLater(c3!, 9000, { status: 503 }, 3100)).toBe(false);
      expect(await s.deadLetter(c1!, "rejected", { status: 403 }, 3100)).toBe(false);
      expect(await s.counts()).toEqual({ pending: 1, dead: 1 });

      // The retry ended its claim: due again at its time, for any relay.
      expect(await s.claim(4999, 10, LEASE_B)).toEqual([]);
      const [retried] = await s.claim(5000, 10, LEASE_B);
      expect(retried).toMatchObject({ id: c1!.id, attempts: 1, windowStart: 1000 });
      expect(retried!.claimId).not.toBe(c1!.claimId);
      expect(await s.complete(retried!, "ignored", { status: 204 }, 6000)).toBe(true);
      expect(await s.counts()).toEqual({ pending: 0, dead: 1 });
    });

    it("keeps a delivery's signature while it is pending (claimed, retried), drops it when settled or dead, and takes a revival's", async () => {
      const { store: s } = await open();
      const signed = (n: string, value = `sha256=${n}`) =>
        delivery({ deliveryId: n, body: body(n), signature: { value, secret: `fingerprint-${n}` } });
      const plain = await s.add(delivery({ deliveryId: "plain" }), LEASE_A);
      const retried = await s.add(signed("r"), LEASE_A);
      const done = await s.add(signed("d"), LEASE_A);
      const dead = await s.add(signed("x"), LEASE_A);
      await s.release([claimOf(plain)]);
      await s.retryLater(claimOf(retried), 1500, { status: 502 }, 1200);
      const claimed = await s.claim(2000, 10, LEASE_A);
      expect(claimed.map((d) => d.deliveryId)).toEqual(["plain", "r"]);
      expect(claimed[0]).not.toHaveProperty("signature");
      expect(claimed[1]!.signature).toEqual({ value: "sha256=r", secret: "fingerprint-r" });

      expect(await s.complete(claimOf(done), "delivered", { status: 200 }, 2100)).toBe(true);
      expect(await s.deadLetter(claimOf(dead), "rejected", { status: 403 }, 2200)).toBe(true);
      expect(await s.listDead()).toEqual([expect.not.objectContaining({ signature: expect.anything() })]);
      // A replayed dead letter comes back without one; a redelivery brings its own.
      expect(await s.replay("all", 3000)).toBe(1);
      const [replayed] = await s.claim(3000, 10, LEASE_B);
      expect(replayed).toMatchObject({ id: dead.id });
      expect(replayed).not.toHaveProperty("signature");
      await s.deadLetter(replayed!, "rejected", { status: 403 }, 3100);
      const revived = await s.add(signed("x", "sha256=again"), LEASE_A);
      expect(revived).toMatchObject({ id: dead.id, revived: true });
      await s.release([claimOf(revived)]);
      const [again] = await s.claim(4000, 10, LEASE_A);
      expect(again!.signature).toEqual({ value: "sha256=again", secret: "fingerprint-x" });
    });

    it("replay puts dead letters back free and due now, with a fresh window, and ignores ids it does not hold", async () => {
      const { store: s } = await open();
      const added = await s.add(delivery({ deliveryId: "r", body: body("replayed") }), LEASE_A);
      await s.deadLetter(claimOf(added), "bad_signature", { status: 400 }, 3000);
      expect(await s.replay({ ids: [added.id, 999_999] }, 6000)).toBe(1);
      expect(await s.counts()).toEqual({ pending: 1, dead: 0 });
      // Free: another relay than the one that dead-lettered it takes it.
      const [again] = await s.claim(6000, 10, LEASE_B);
      expect(again).toMatchObject({ id: added.id, attempts: 0, windowStart: 6000 });
      expect(text(again!.body)).toBe("replayed");
      // Replaying again finds no dead letter.
      expect(await s.replay("all", 7000)).toBe(0);
    });

    it("forgets a settled delivery's key once the dedupe window, which runs from settlement, has passed", async () => {
      const { store: s } = await open();
      const added = await s.add(delivery({ deliveryId: "x" }), LEASE_A);
      await s.complete(claimOf(added), "delivered", { status: 200 }, 6000);
      await s.prune(6000);
      expect((await s.add(delivery({ deliveryId: "x" }), LEASE_A)).duplicate).toBe(true);
      await s.prune(6001);
      const fresh = await s.add(delivery({ deliveryId: "x", receivedAt: 7000 }), LEASE_A);
      expect(fresh.duplicate).toBe(false);
      expect(fresh.id).not.toBe(added.id);
    });
  });
}

/** Stores each delivery and dead-letters it at `deadAt`; returns their ids. */
async function deadLetters(
  s: DeliveryStore,
  list: Array<{ receiverUuid: string; deliveryId?: string; deadAt: number; kind?: "GITLAB" }>,
): Promise<number[]> {
  const ids: number[] = [];
  for (const [i, d] of list.entries()) {
    const added = await s.add(delivery({ ...d, headers: {}, body: body(`body ${i}`) }), LEASE_A);
    await s.deadLetter(claimOf(added), "unknown_receiver", { status: 404 }, d.deadAt);
    ids.push(added.id);
  }
  return ids;
}

function describeDeadLetters(name: string, factory: StoreFactory): void {
  describe(`${name}: the dead-letter commands`, () => {
    const open = backings(factory);

    it("purgeDead removes what the filter selects, says what it removed, and forgets the delivery IDs", async () => {
      const { store: s } = await open();
      const [a, b, c, d] = await deadLetters(s, [
        { receiverUuid: "old", deliveryId: "d-a", deadAt: 2000 },
        { receiverUuid: "old", deliveryId: "d-b", deadAt: 9000 },
        { receiverUuid: "other", deliveryId: "d-c", deadAt: 3000 },
        { receiverUuid: "other", deadAt: 9000 },
      ]);
      const pending = await s.add(
        delivery({ receiverUuid: "old", deliveryId: "d-p", body: body("p") }),
        LEASE_A,
      );

      // A dry run removes nothing.
      expect((await s.purgeDead({ receiverUuid: "old" }, true)).map((x) => x.id)).toEqual([a, b]);
      expect((await s.counts()).dead).toBe(4);

      const summary = { kind: "GITHUB", event: "push", reason: "unknown_receiver", bytes: 6 };
      expect(await s.purgeDead({ deadBefore: 5000 }, false)).toEqual([
        { ...summary, id: a, receiverUuid: "old", deliveryId: "d-a", deadAt: 2000 },
        { ...summary, id: c, receiverUuid: "other", deliveryId: "d-c", deadAt: 3000 },
      ]);
      expect((await s.purgeDead({ ids: [d!, 12345] }, false)).map((x) => x.id)).toEqual([d]);
      expect((await s.listDead()).map((x) => x.id)).toEqual([b]);

      // A purged delivery's redelivery is new; a pending one is a duplicate (a dead one is revived:
      // the records part).
      const again = (receiverUuid: string, deliveryId: string) =>
        s.add(delivery({ receiverUuid, deliveryId, body: body("again") }), LEASE_A);
      expect((await again("old", "d-a")).duplicate).toBe(false);
      expect((await again("other", "d-c")).duplicate).toBe(false);
      expect((await again("old", "d-p")).duplicate).toBe(true);
      expect(pending.duplicate).toBe(false);

      expect((await s.purgeDead("all", false)).map((x) => x.id)).toEqual([b]);
      expect((await s.counts()).dead).toBe(0);
    });

    it("replay with a retarget moves dead letters of the same kind to another receiver, and only those", async () => {
      const { store: s } = await open();
      const [gh, gl] = await deadLetters(s, [
        { receiverUuid: "old", deliveryId: "d-1", deadAt: 2000 },
        { receiverUuid: "old", deliveryId: "d-2", deadAt: 2000, kind: "GITLAB" },
      ]);
      expect(await s.replay({ receiverUuid: "old" }, 5000, { receiverUuid: "new", kind: "GITHUB" })).toBe(1);
      const claimed = await s.claim(5000, 10, LEASE_A);
      expect(claimed.map((d) => [d.id, d.receiverUuid, d.attempts, d.windowStart])).toEqual([
        [gh, "new", 0, 5000],
      ]);
      expect((await s.listDead()).map((d) => [d.id, d.receiverUuid])).toEqual([[gl, "old"]]);
      // The new receiver's code host redelivering it while it is queued: a duplicate.
      expect(
        (await s.add(delivery({ receiverUuid: "new", deliveryId: "d-1", body: body("x") }), LEASE_A))
          .duplicate,
      ).toBe(true);
    });

    it("replay by receiver and by age selects only those dead letters", async () => {
      const { store: s } = await open();
      const [early, late, elsewhere] = await deadLetters(s, [
        { receiverUuid: "a", deliveryId: "e", deadAt: 2000 },
        { receiverUuid: "a", deliveryId: "l", deadAt: 8000 },
        { receiverUuid: "b", deliveryId: "o", deadAt: 2000 },
      ]);
      expect(await s.replay({ deadBefore: 5000 }, 9000)).toBe(2);
      expect((await s.listDead()).map((d) => d.id)).toEqual([late]);
      expect((await s.claim(9000, 10, LEASE_A)).map((d) => d.id).sort()).toEqual([early, elsewhere].sort());
      expect(await s.replay({ receiverUuid: "b" }, 9000)).toBe(0);
      expect(await s.replay({ receiverUuid: "a" }, 9000)).toBe(1);
      expect(await s.counts()).toEqual({ pending: 3, dead: 0 });
    });
  });
}
