// The store contract's claims: what keeps two relays on one database, and the two paths in one
// relay (the fresh delivery handed over in memory, the query for what is due), from sending a
// delivery twice. A claim holds through `now + lease.ms` (its lease's last moment) and can be
// taken 1 ms later. See store-contract.ts.
import { describe, expect, it } from "vitest";
import type { ClaimRef, Lease } from "../../src/relay/store";
import {
  addFree,
  backings,
  body,
  claimOf,
  delivery,
  LEASE_A,
  LEASE_B,
  type StoreFactory,
  unknownClaim,
} from "./store-contract-kit";

/** A lease of a second, to expire on purpose. */
const SHORT_A: Lease = { owner: LEASE_A.owner, ms: 1000 };

const ref = ({ id, claimId }: ClaimRef): ClaimRef => ({ id, claimId });

export function describeClaims(name: string, factory: StoreFactory): void {
  describe(`${name}: claims under a lease`, () => {
    const open = backings(factory);

    it("two handles claiming at once never get the same delivery, and between them get every one", async () => {
      const backing = await open();
      const a = backing.store;
      const b = await backing.openAnother();
      const ids: number[] = [];
      for (let i = 0; i < 60; i++)
        ids.push(await addFree(a, delivery({ deliveryId: `c-${i}`, body: body(`${i}`) })));
      const taken: Record<string, number[]> = { a: [], b: [] };
      const drain = async (who: "a" | "b") => {
        const store = who === "a" ? a : b;
        const lease = who === "a" ? LEASE_A : LEASE_B;
        // Bounded: a store that hands out a row twice would otherwise hand it out for ever.
        for (let round = 0; round < 60; round++) {
          const got = await store.claim(2000, 4, lease);
          if (got.length === 0) return;
          taken[who]!.push(...got.map((d) => d.id));
        }
      };
      await Promise.all([drain("a"), drain("b"), drain("a"), drain("b")]);
      const all = [...taken.a!, ...taken.b!];
      expect(all.length).toBe(new Set(all).size);
      expect(all.sort((x, y) => x - y)).toEqual(ids);
    });

    it("a fresh delivery is stored claimed by its lease: no claim query returns it until it is released", async () => {
      const backing = await open();
      const other = await backing.openAnother();
      const added = await backing.store.add(delivery({ deliveryId: "fresh" }), LEASE_A);
      expect(added).toMatchObject({ duplicate: false, revived: false });
      expect(typeof added.claimId).toBe("string");
      // Neither the relay that took it (its other path) nor another relay claims it.
      expect(await backing.store.claim(2000, 10, LEASE_A)).toEqual([]);
      expect(await other.claim(2000, 10, LEASE_B)).toEqual([]);
      expect(await backing.store.counts()).toEqual({ pending: 1, dead: 0 });
      // Given back, it is free at once, for anyone.
      await backing.store.release([claimOf(added)]);
      const [taken] = await other.claim(2000, 10, LEASE_B);
      expect(taken).toMatchObject({ id: added.id, deliveryId: "fresh", attempts: 0 });
      expect(taken!.claimId).not.toBe(added.claimId);
      // Every claim is a new ID.
      const two = await Promise.all([
        backing.store.add(delivery({ deliveryId: "one" }), LEASE_A),
        backing.store.add(delivery({ deliveryId: "two" }), LEASE_A),
      ]);
      expect(new Set([added.claimId, taken!.claimId, ...two.map((r) => r.claimId)]).size).toBe(4);
    });

    it("an expired lease is claimable again, and the old holder's settlement resolves false and changes nothing", async () => {
      const backing = await open();
      const other = await backing.openAnother();
      // Received at 1000 under a 1 s lease: held through 2000.
      const added = await backing.store.add(delivery({ deliveryId: "slow", body: body("b") }), SHORT_A);
      expect(await other.claim(2000, 10, LEASE_B)).toEqual([]);
      const [taken] = await other.claim(2001, 10, LEASE_B);
      expect(taken).toMatchObject({ id: added.id, attempts: 0 });

      const old = claimOf(added);
      expect(await backing.store.complete(old, "delivered", { status: 200 }, 2100)).toBe(false);
      expect(await backing.store.retryLater(old, 9000, { status: 503 }, 2100)).toBe(false);
      expect(await backing.store.deadLetter(old, "rejected", { status: 403 }, 2100)).toBe(false);
      await backing.store.release([old]);
      // Still pending, untouched, and still the new holder's.
      expect(await backing.store.records({ deliveryId: "slow" }, 10)).toEqual([
        expect.objectContaining({ id: added.id, state: "pending", attempts: 0 }),
      ]);
      expect(await backing.store.claim(2200, 10, LEASE_A)).toEqual([]);
      expect(await backing.store.heartbeat([old], 2200, SHORT_A)).toEqual([old]);
      expect(await other.complete(ref(taken!), "delivered", { status: 200 }, 2300)).toBe(true);
      expect(await other.records({ deliveryId: "slow" }, 10)).toEqual([
        expect.objectContaining({ state: "delivered", attempts: 1, lastStatus: 200, settledAt: 2300 }),
      ]);
    });

    it("a heartbeat extends the lease of the claims still held, and reports the others as lost", async () => {
      const backing = await open();
      const other = await backing.openAnother();
      const s = backing.store;
      for (const n of [1, 2, 3, 4]) await addFree(s, delivery({ deliveryId: `h${n}` }));
      // `taken` is held through 1100, the others through 2000.
      const [taken] = (await s.claim(1000, 1, { owner: LEASE_A.owner, ms: 100 })).map(ref);
      const [kept, settled, released] = (await s.claim(1000, 3, SHORT_A)).map(ref);
      await s.complete(settled!, "delivered", { status: 200 }, 1100);
      await s.release([released!]);
      // Another relay takes `taken` once its lease ended, and `released` at once.
      expect((await other.claim(1101, 1, LEASE_B)).map((d) => d.id)).toEqual([taken!.id]);
      expect((await other.claim(1101, 10, LEASE_B)).map((d) => d.id)).toEqual([released!.id]);
      // `kept` expired too (at 2000), but no one took it: renewing it still holds it, through 3500.
      const stranger = unknownClaim(kept!.id);
      const lost = await s.heartbeat([kept!, settled!, released!, taken!, stranger], 2500, SHORT_A);
      expect(lost.map((c) => c.claimId).sort()).toEqual(
        [settled!, released!, taken!, stranger].map((c) => c.claimId).sort(),
      );
      expect(await other.claim(3500, 10, LEASE_B)).toEqual([]);
      expect((await other.claim(3501, 10, LEASE_B)).map((d) => d.id)).toEqual([kept!.id]);
      expect(await s.heartbeat([], 3600, SHORT_A)).toEqual([]);
    });

    it("release frees claims at once, and a stale claim releases nothing", async () => {
      const backing = await open();
      const other = await backing.openAnother();
      const added = await backing.store.add(delivery({ deliveryId: "r" }), LEASE_A);
      await backing.store.release([claimOf(added)]);
      const [taken] = await other.claim(1000, 10, LEASE_B);
      expect(taken!.id).toBe(added.id);
      // The first holder's claim is spent: releasing it again frees nothing.
      await backing.store.release([claimOf(added), unknownClaim(added.id)]);
      expect(await backing.store.claim(1000, 10, LEASE_A)).toEqual([]);
      expect(await other.heartbeat([ref(taken!)], 1000, LEASE_B)).toEqual([]);
    });

    it("a dead letter revived by a redelivery is claimed for the caller; a replayed one comes back free", async () => {
      const backing = await open();
      const other = await backing.openAnother();
      const s = backing.store;
      const revivedLater = await s.add(delivery({ deliveryId: "revive" }), LEASE_A);
      await s.deadLetter(claimOf(revivedLater), "bad_signature", { status: 400 }, 2000);
      const replayedLater = await s.add(delivery({ deliveryId: "replay" }), LEASE_A);
      await s.deadLetter(claimOf(replayedLater), "bad_signature", { status: 400 }, 2000);

      const revived = await other.add(
        delivery({ deliveryId: "revive", receivedAt: 5000, body: body("new") }),
        LEASE_B,
      );
      expect(revived).toMatchObject({ id: revivedLater.id, duplicate: false, revived: true });
      expect(revived.claimId).not.toBe(revivedLater.claimId);
      expect(await s.replay({ ids: [replayedLater.id] }, 5000)).toBe(1);
      // Only the replayed one is free; the revived one is the reviving relay's.
      expect((await s.claim(5000, 10, LEASE_A)).map((d) => d.id)).toEqual([replayedLater.id]);
      expect(await other.claim(5000, 10, LEASE_B)).toEqual([]);
      expect(await other.complete(claimOf(revived), "delivered", { status: 200 }, 5100)).toBe(true);
    });

    it("sweep frees only the claims whose lease ended, and says how many", async () => {
      const backing = await open();
      const other = await backing.openAnother();
      const s = backing.store;
      const expiring = await s.add(delivery({ deliveryId: "expiring" }), SHORT_A);
      const live = await s.add(delivery({ deliveryId: "live" }), LEASE_A);
      const free = await addFree(s, delivery({ deliveryId: "free" }));
      expect(await other.sweep(2000)).toBe(0);
      expect(await other.sweep(2001)).toBe(1);
      // The expired claim is gone: its holder learns so, and it is free to anyone.
      expect(await s.heartbeat([claimOf(expiring), claimOf(live)], 2001, SHORT_A)).toEqual([
        claimOf(expiring),
      ]);
      expect((await other.claim(2001, 10, LEASE_B)).map((d) => d.id)).toEqual([expiring.id, free]);
      expect(await other.sweep(2001)).toBe(0);
      // A time past every lease frees every claim (a relay that alone uses its store, at start).
      expect(await s.sweep(Number.MAX_SAFE_INTEGER)).toBe(3);
      expect(await s.counts()).toEqual({ pending: 3, dead: 0 });
    });

    it("nextDueAt is when a claim could next be made: free rows' due time, other owners' lease ends, never the caller's own claims", async () => {
      const backing = await open();
      const other = await backing.openAnother();
      const s = backing.store;
      expect(await s.nextDueAt(LEASE_A.owner)).toBeUndefined();
      // Held by A through 2000 (received at 1000, a 1 s lease).
      const held = await s.add(delivery({ deliveryId: "held" }), SHORT_A);
      expect(await s.nextDueAt(LEASE_A.owner)).toBeUndefined();
      expect(await other.nextDueAt(LEASE_B.owner)).toBe(2001);
      expect(await other.claim(2000, 10, LEASE_B)).toEqual([]);
      expect((await other.claim(2001, 10, LEASE_B)).map((d) => d.id)).toEqual([held.id]);
      // Now B's until 62001: A waits for that, B for nothing.
      expect(await s.nextDueAt(LEASE_A.owner)).toBe(2001 + LEASE_B.ms + 1);
      expect(await other.nextDueAt(LEASE_B.owner)).toBeUndefined();

      // A free row due at 1500 comes first for everyone; a retry is due at its time.
      const free = await addFree(s, delivery({ deliveryId: "free", receivedAt: 1500 }));
      expect(await s.nextDueAt(LEASE_A.owner)).toBe(1500);
      expect(await other.nextDueAt(LEASE_B.owner)).toBe(1500);
      const [c] = await s.claim(1500, 10, LEASE_A);
      expect(c!.id).toBe(free);
      await s.retryLater(c!, 7000, { status: 503 }, 1600);
      expect(await s.nextDueAt(LEASE_A.owner)).toBe(7000);
      // A lease ending before the due time: claimable only once due.
      const late = await other.claim(7000, 10, { owner: LEASE_B.owner, ms: 10 });
      expect(late.map((d) => d.id)).toEqual([free]);
      expect(await s.nextDueAt(LEASE_A.owner)).toBe(7011);
      await other.retryLater(late[0]!, 9000, { status: 503 }, 7005);
      expect(await s.nextDueAt(LEASE_A.owner)).toBe(9000);
    });

    it("settling with a claim no one gave resolves false and changes nothing", async () => {
      const { store: s } = await open();
      const added = await s.add(delivery({ deliveryId: "x" }), LEASE_A);
      const stranger = unknownClaim(added.id);
      expect(await s.complete(stranger, "delivered", { status: 200 }, 2000)).toBe(false);
      expect(await s.retryLater(stranger, 3000, { status: 503 }, 2000)).toBe(false);
      expect(await s.deadLetter(stranger, "rejected", { status: 403 }, 2000)).toBe(false);
      expect(await s.complete(unknownClaim(999_999), "delivered", { status: 200 }, 2000)).toBe(false);
      expect(await s.records({ deliveryId: "x" }, 10)).toEqual([
        expect.objectContaining({ state: "pending", attempts: 0 }),
      ]);
      expect(await s.complete(claimOf(added), "delivered", { status: 200 }, 2000)).toBe(true);
    });
  });
}
