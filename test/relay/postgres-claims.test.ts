// Proves relays on one PostgreSQL database never share a delivery: concurrent claims under SKIP LOCKED take each once, concurrent adds of one key store it once, and a lease is taken over only once it ends.
import { expect, it } from "vitest";
import { openPostgresStore, type PostgresStore } from "../../src/relay/postgres";
import type { ClaimedDelivery, NewDelivery } from "../../src/relay/store";
import { describePostgres } from "../harness/postgres";

const delivery = (n: number, deliveryId?: string): NewDelivery => ({
  receiverUuid: "r1",
  kind: "GITHUB",
  event: "push",
  ...(deliveryId !== undefined ? { deliveryId, hookId: "7" } : {}),
  headers: { "x-github-event": "push" },
  body: Buffer.from(`body ${n}`),
  receivedAt: 1000 + n,
});

/** Stores on one database, each with its own pool, as separate relays have. */
async function relays(url: string, count: number): Promise<PostgresStore[]> {
  return Promise.all(
    Array.from({ length: count }, () => openPostgresStore({ connectionString: url, poolSize: 4 })),
  );
}

describePostgres("claims on PostgreSQL", (db) => {
  it("gives each of 1,500 deliveries to exactly one of twelve claimers in three relays", async () => {
    const url = await db.database();
    const stores = await relays(url, 3);
    try {
      const total = 1500;
      // Stored as intake stores them (claimed), with a lease that has ended by the time of the claims.
      const added = await Promise.all(
        Array.from({ length: total }, (_, n) => stores[n % 3]!.add(delivery(n), { owner: "intake", ms: 0 })),
      );
      expect(added.every((a) => !a.duplicate && a.claimId !== undefined)).toBe(true);
      const now = 1000 + total + 1;
      const taken: Array<{ relay: number; d: ClaimedDelivery }> = [];
      const claimer = async (relay: number) => {
        for (;;) {
          const got = await stores[relay]!.claim(now, 25, { owner: `relay-${relay}`, ms: 60_000 });
          if (got.length === 0) return;
          for (const d of got) taken.push({ relay, d });
        }
      };
      await Promise.all([0, 1, 2].flatMap((relay) => Array.from({ length: 4 }, () => claimer(relay))));
      const ids = taken.map((t) => t.d.id);
      expect(new Set(ids).size).toBe(ids.length);
      expect(ids.sort((a, b) => a - b)).toEqual(added.map((a) => a.id).sort((a, b) => a - b));
      // The work was shared: every relay claimed some.
      for (const relay of [0, 1, 2]) expect(taken.some((t) => t.relay === relay)).toBe(true);
      // Each holder settles by its claim; a claim made by another relay settles nothing.
      const [first, second] = taken;
      expect(
        await stores[0]!.complete({ id: first!.d.id, claimId: second!.d.claimId }, "delivered", {}, now),
      ).toBe(false);
      const settled = await Promise.all(
        taken.map((t) => stores[t.relay]!.complete(t.d, "delivered", { status: 200 }, now)),
      );
      expect(settled.every(Boolean)).toBe(true);
      expect(await stores[1]!.counts()).toEqual({ pending: 0, dead: 0 });
    } finally {
      await Promise.all(stores.map((s) => s.close()));
    }
  });

  it("stores a delivery once when three relays receive it at the same moment, and revives a dead one once", async () => {
    const url = await db.database();
    const stores = await relays(url, 3);
    try {
      const lease = (relay: number) => ({ owner: `relay-${relay}`, ms: 60_000 });
      const keys = Array.from({ length: 200 }, (_, n) => n);
      const results = await Promise.all(
        keys.flatMap((n) => stores.map((s, relay) => s.add(delivery(n, `key-${n}`), lease(relay)))),
      );
      for (const n of keys) {
        const three = results.slice(n * 3, n * 3 + 3);
        expect(three.filter((r) => !r.duplicate)).toHaveLength(1);
        expect(new Set(three.map((r) => r.id)).size).toBe(1);
      }
      expect(await stores[0]!.counts()).toEqual({ pending: 200, dead: 0 });

      // One of them dead-lettered; the code host sends it again, to all three at once.
      const holder = results.findIndex((r) => !r.duplicate);
      const stored = results[holder]!;
      expect(
        await stores[holder % 3]!.deadLetter(
          { id: stored.id, claimId: stored.claimId! },
          "bad_signature",
          { status: 400 },
          5000,
        ),
      ).toBe(true);
      const again = await Promise.all(
        stores.map((s, relay) => s.add({ ...delivery(0, "key-0"), receivedAt: 6000 }, lease(relay))),
      );
      expect(again.filter((r) => r.revived)).toHaveLength(1);
      expect(again.filter((r) => r.duplicate)).toHaveLength(2);
      expect(again.every((r) => r.id === stored.id)).toBe(true);
      expect(await stores[0]!.counts()).toEqual({ pending: 200, dead: 0 });
    } finally {
      await Promise.all(stores.map((s) => s.close()));
    }
  });

  it("lets another relay take a delivery only once its lease ends, and the first holder then settles nothing", async () => {
    const url = await db.database();
    const [a, b] = await relays(url, 2);
    try {
      const added = await a!.add(delivery(1), { owner: "a", ms: 100 });
      const mine = { id: added.id, claimId: added.claimId! };
      // Held through lease_until (received 1001 + 100).
      expect(await b!.claim(1101, 10, { owner: "b", ms: 100 })).toEqual([]);
      expect(await b!.nextDueAt("b")).toBe(1102);
      expect(await a!.heartbeat([mine], 1050, { owner: "a", ms: 100 })).toEqual([]);
      expect(await b!.claim(1150, 10, { owner: "b", ms: 100 })).toEqual([]);
      const [taken] = await b!.claim(1151, 10, { owner: "b", ms: 100 });
      expect(taken).toMatchObject({ id: added.id, body: Buffer.from("body 1") });
      expect(taken!.claimId).not.toBe(mine.claimId);
      // The first holder learns it lost the claim, and cannot settle or release it.
      expect(await a!.heartbeat([mine], 1160, { owner: "a", ms: 100 })).toEqual([mine]);
      expect(await a!.retryLater(mine, 9000, { status: 503 }, 1160)).toBe(false);
      await a!.release([mine]);
      expect(await a!.complete(mine, "delivered", { status: 200 }, 1160)).toBe(false);
      expect(await b!.complete(taken!, "delivered", { status: 200 }, 1160)).toBe(true);
      expect((await a!.records({}, 1))[0]).toMatchObject({
        state: "delivered",
        attempts: 1,
        lastStatus: 200,
      });
    } finally {
      await a!.close();
      await b!.close();
    }
  });
});
