// Proves sweeping and pruning on PostgreSQL run on one relay at a time: a relay that cannot take the advisory lock skips the round, and the one that holds it frees expired claims and forgets old records, in slices.
import pg from "pg";
import { expect, it } from "vitest";
import { openPostgresStore } from "../../src/relay/postgres";
import { namesFor } from "../../src/relay/postgres/names";
import type { NewDelivery } from "../../src/relay/store";
import { describePostgres } from "../harness/postgres";

const delivery = (n: number): NewDelivery => ({
  receiverUuid: "r1",
  kind: "GITHUB",
  event: "push",
  deliveryId: `d-${n}`,
  hookId: "9",
  headers: { "x-github-event": "push" },
  body: Buffer.from(`${n}`),
  receivedAt: 1000,
});

/** Holds one of the store's advisory locks from another session, as another relay would. */
async function holdLock(url: string, what: "sweep" | "prune") {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const key = [namesFor().lockKey(what), "sg_webhooks"];
  await client.query("SELECT pg_advisory_lock($1, hashtext($2))", key);
  return async () => {
    await client.query("SELECT pg_advisory_unlock($1, hashtext($2))", key);
    await client.end();
  };
}

describePostgres("maintenance on PostgreSQL", (db) => {
  it("sweeps expired claims only where no other relay is sweeping", async () => {
    const url = await db.database();
    const store = await openPostgresStore({ connectionString: url });
    try {
      await Promise.all([1, 2, 3].map((n) => store.add(delivery(n), { owner: "gone", ms: 100 })));
      await store.add(delivery(4), { owner: "alive", ms: 10_000 });
      const release = await holdLock(url, "sweep");
      expect(await store.sweep(2000)).toBe(0);
      await release();
      // Three leases ended at 1100; the fourth holds until 11000.
      expect(await store.sweep(2000)).toBe(3);
      expect(await store.sweep(2000)).toBe(0);
      const claimed = await store.claim(2000, 10, { owner: "other", ms: 1000 });
      expect(claimed.map((d) => d.deliveryId).sort()).toEqual(["d-1", "d-2", "d-3"]);
    } finally {
      await store.close();
    }
  });

  it("prunes records past the window in slices, on one relay at a time, keeping the rest", async () => {
    const url = await db.database();
    const [a, b] = await Promise.all([1, 2].map(() => openPostgresStore({ connectionString: url })));
    try {
      const lease = { owner: "a", ms: 60_000 };
      const total = 4500;
      const added = await Promise.all(Array.from({ length: total }, (_, n) => a!.add(delivery(n), lease)));
      // All delivered at 2000 but the last three: one delivered later, one pending, one dead.
      const settled = await Promise.all(
        added
          .slice(0, total - 3)
          .map((r) => a!.complete({ id: r.id, claimId: r.claimId! }, "delivered", {}, 2000)),
      );
      expect(settled.every(Boolean)).toBe(true);
      const [late, , dead] = added.slice(total - 3);
      await a!.complete({ id: late!.id, claimId: late!.claimId! }, "ignored", { status: 204 }, 5000);
      await a!.deadLetter({ id: dead!.id, claimId: dead!.claimId! }, "rejected", { status: 400 }, 2000);

      const release = await holdLock(url, "prune");
      await b!.prune(3000);
      expect((await a!.records({}, total)).length).toBe(total);
      await release();

      // Both relays prune at the same moment: one does it, the other skips; nothing fails.
      await Promise.all([a!.prune(3000), b!.prune(3000)]);
      const left = await a!.records({}, total);
      expect(left.map((r) => r.state).sort()).toEqual(["dead", "ignored", "pending"]);
      // Pruned keys are forgotten: a redelivery is new; kept ones still drop it.
      expect((await b!.add(delivery(0), lease)).duplicate).toBe(false);
      expect((await b!.add(delivery(total - 3), lease)).duplicate).toBe(true);
    } finally {
      await a!.close();
      await b!.close();
    }
  });
});
