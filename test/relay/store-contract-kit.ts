// What the store contract's parts share: the factory a store's suite is given, the handles it
// opens, and deliveries and leases to store. See store-contract.ts.
import { randomUUID } from "node:crypto";
import { afterEach } from "vitest";
import type { AddResult, ClaimRef, DeliveryStore, Lease, NewDelivery } from "../../src/relay/store";

/**
 * One backing (a SQLite data directory, a PostgreSQL database or schema) with a store open on it.
 *
 * - `store`: a store on a fresh, empty backing that no other test uses.
 * - `openAnother()`: a second store on the same backing, as a second relay on the same database
 *   (for SQLite, a second connection to the same file). It must work after the first is closed
 *   too: that is how the suite reopens a store (a restart).
 * - `dispose()`: closes every store still open on the backing (closing twice must be harmless) and
 *   removes the backing.
 *
 * Times in the suite are small numbers (ms since the epoch, near 0), and a store must take every
 * time from its caller, never from its own clock: `add`'s lease runs from the delivery's
 * `receivedAt`, the others' from their `now`.
 */
export interface StoreBacking {
  readonly store: DeliveryStore;
  openAnother(): Promise<DeliveryStore>;
  dispose(): Promise<void>;
}

/** Opens a store on a fresh backing. */
export type StoreFactory = () => Promise<StoreBacking>;

/** A fresh backing for each test that asks, disposed of after it. */
export function backings(factory: StoreFactory): () => Promise<StoreBacking> {
  const opened: StoreBacking[] = [];
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((b) => b.dispose()));
  });
  return async () => {
    const b = await factory();
    opened.push(b);
    return b;
  };
}

/** Two relays' leases, long enough to outlast any test that does not expire them on purpose. */
export const LEASE_A: Lease = { owner: "relay-a", ms: 60_000 };
export const LEASE_B: Lease = { owner: "relay-b", ms: 60_000 };

export const body = (text: string) => Buffer.from(text);

/** A GitHub push for receiver `u`, received at 1000, with `over` replacing any field. */
export function delivery(over: Partial<NewDelivery> & { body?: Uint8Array } = {}): NewDelivery {
  return {
    receiverUuid: "u",
    kind: "GITHUB",
    event: "push",
    headers: { "x-github-event": "push" },
    body: body("{}"),
    receivedAt: 1000,
    ...over,
  };
}

/** The claim `add` made, which a stored or revived delivery must have. */
export function claimOf(result: AddResult): ClaimRef {
  if (result.claimId === undefined) {
    throw new Error(`add stored delivery ${result.id} without a claim: a stored or revived one has one`);
  }
  return { id: result.id, claimId: result.claimId };
}

/** Stores a delivery and settles nothing: its claim is given back, so it is free and due. */
export async function addFree(store: DeliveryStore, d: NewDelivery): Promise<number> {
  const result = await store.add(d, LEASE_A);
  await store.release([claimOf(result)]);
  return result.id;
}

/** A claim ID no store ever gave. */
export const unknownClaim = (id: number): ClaimRef => ({ id, claimId: randomUUID() });

export const text = (b: Uint8Array) => Buffer.from(b).toString();
