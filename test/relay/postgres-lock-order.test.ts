// Proves the store's batched UPDATEs on shared rows (heartbeats, settlements, releases, sweeps) from two relays at once never deadlock or fail, and that each claim settles exactly once.
import { expect, it } from "vitest";
import { openPostgresStore, type PostgresStore } from "../../src/relay/postgres";
import type { ClaimRef, NewDelivery } from "../../src/relay/store";
import { describePostgres } from "../harness/postgres";

const ROUNDS = 6;
const PER_ROUND = 240;
/** When the race happens: every lease below is counted from here. */
const T = 1_000_000;

const delivery = (n: number): NewDelivery => ({
  receiverUuid: "r1",
  kind: "GITHUB",
  event: "push",
  headers: { "x-github-event": "push" },
  body: Buffer.from(`body ${n}`),
  receivedAt: T,
});

/** A fixed-seed shuffle: each caller visits the rows in an order of its own, as relays do. */
function shuffler(seed: number) {
  let s = seed;
  const next = () => {
    s = (s * 1_103_515_245 + 12_345) % 2_147_483_648;
    return s / 2_147_483_648;
  };
  return <T>(items: readonly T[]): T[] => {
    const out = [...items];
    for (let i = out.length - 1; i > 0; i--) {
      const j = Math.floor(next() * (i + 1));
      [out[i], out[j]] = [out[j]!, out[i]!];
    }
    return out;
  };
}

/** Settles `claims` in slices of a few event-loop turns, so that batches of both relays interleave. */
async function settleAll(store: PostgresStore, claims: readonly ClaimRef[]): Promise<Map<number, boolean>> {
  const pending: Array<Promise<[number, boolean]>> = [];
  for (let i = 0; i < claims.length; i += 40) {
    for (const c of claims.slice(i, i + 40)) {
      pending.push(store.complete(c, "delivered", { status: 200 }, T + 10).then((held) => [c.id, held]));
    }
    await new Promise((resolve) => setImmediate(resolve));
  }
  return new Map(await Promise.all(pending));
}

describePostgres("the store's row locks under two relays", (db) => {
  it("heartbeats, settles, releases and sweeps the same claims concurrently without a deadlock", async () => {
    const url = await db.database();
    const [a, b] = await Promise.all(
      [0, 1].map(() => openPostgresStore({ connectionString: url, poolSize: 8 })),
    );
    try {
      const shuffle = shuffler(7);
      for (let round = 0; round < ROUNDS; round++) {
        const added = await Promise.all(
          Array.from({ length: PER_ROUND }, (_, n) =>
            a!.add(delivery(round * PER_ROUND + n), { owner: "relay-a", ms: 60_000 }),
          ),
        );
        const claims: ClaimRef[] = added.map((d) => ({ id: d.id, claimId: d.claimId! }));
        // Both relays settle the first third; relay a releases the second third while b settles it;
        // the last third's leases end before the sweep's `now`, and a settles them while it sweeps.
        const both = claims.filter((_, i) => i % 3 === 0);
        const released = claims.filter((_, i) => i % 3 === 1);
        const expiring = claims.filter((_, i) => i % 3 === 2);
        expect(await a!.heartbeat(expiring, T, { owner: "relay-a", ms: 1 })).toEqual([]);

        const lease = { owner: "relay-a", ms: 60_000 };
        const [settledByA, settledByB] = await Promise.all([
          settleAll(a!, shuffle([...both, ...expiring])),
          settleAll(b!, shuffle([...both, ...released])),
          a!.heartbeat(shuffle(claims), T, lease),
          b!.heartbeat(shuffle(claims), T, lease),
          a!.heartbeat(shuffle(claims), T, lease),
          b!.heartbeat(shuffle(claims), T, lease),
          a!.release(shuffle(released)),
          a!.sweep(T + 100),
          b!.sweep(T + 100),
          a!.sweep(T + 100),
        ]);

        const records = new Map(
          (await a!.records({}, 100_000))
            .filter((r) => added.some((d) => d.id === r.id))
            .map((r) => [r.id, r]),
        );
        for (const c of claims) {
          const wins = [settledByA!.get(c.id), settledByB!.get(c.id)].filter((held) => held === true).length;
          const record = records.get(c.id)!;
          // A settlement that said it held its claim is the one that wrote the row, and only one did.
          expect({ id: c.id, wins, state: record.state, attempts: record.attempts }).toEqual({
            id: c.id,
            wins: record.state === "delivered" ? 1 : 0,
            state: record.state === "delivered" ? "delivered" : "pending",
            attempts: record.state === "delivered" ? 1 : 0,
          });
          // Nothing took these claims away: both relays tried, one of them won.
          if (both.includes(c)) expect(record.state).toBe("delivered");
        }
      }
    } finally {
      await Promise.all([a?.close(), b?.close()]);
    }
  }, 180_000);
});
