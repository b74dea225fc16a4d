// The deliveries that arrived during one turn of the event loop, stored by one statement: a
// multi-row INSERT … SELECT FROM unnest(…) whose ON CONFLICT on the dedupe key revives dead letters
// and leaves every other stored delivery alone. One statement is one commit, so N deliveries cost
// one round trip and one WAL flush instead of N.
import { randomUUID } from "node:crypto";
import type { AddResult, Lease, NewDelivery } from "../store";
import type { Names } from "./names";

export interface AddRequest {
  readonly delivery: NewDelivery;
  readonly lease: Lease;
}

/** Runs one statement; the store's wrapper (errors, availability) around `pool.query`. */
export type Query = <R extends object>(text: string, params: unknown[]) => Promise<R[]>;

/** At most this many body bytes in one statement (they travel hex-encoded, twice their size). */
const MAX_STATEMENT_BYTES = 16 * 1024 * 1024;
/** At most this many rows in one statement. */
const MAX_STATEMENT_ROWS = 1000;
/** Deadlocks between two relays storing the same keys in another order are retried this often. */
const RETRIES = 3;

const keyOf = (d: NewDelivery): string | undefined =>
  d.deliveryId === undefined ? undefined : JSON.stringify([d.receiverUuid, d.deliveryId, d.hookId ?? ""]);

const asBuffer = (body: Uint8Array) => Buffer.from(body.buffer, body.byteOffset, body.byteLength);

function insertSql(n: Names): string {
  return `INSERT INTO ${n.deliveries} AS d (receiver_uuid, kind, event, delivery_id, hook_id, headers, body,
    received_at, window_start, next_attempt_at, state, claim_id, claimed_by, lease_until)
  SELECT receiver_uuid, kind, event, delivery_id, hook_id, headers::json, body,
    received_at, received_at, received_at, 'pending', claim_id, claimed_by, lease_until
  FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::bytea[],
    $8::bigint[], $9::uuid[], $10::text[], $11::bigint[])
    AS t(receiver_uuid, kind, event, delivery_id, hook_id, headers, body, received_at, claim_id, claimed_by, lease_until)
  ON CONFLICT (receiver_uuid, delivery_id, hook_id) WHERE delivery_id IS NOT NULL
  DO UPDATE SET state = 'pending', event = excluded.event, headers = excluded.headers, body = excluded.body,
    received_at = excluded.received_at, window_start = excluded.window_start,
    next_attempt_at = excluded.next_attempt_at, attempts = 0, dead_reason = NULL, dead_at = NULL,
    settled_at = NULL, claim_id = excluded.claim_id, claimed_by = excluded.claimed_by,
    lease_until = excluded.lease_until
  WHERE d.state = 'dead'
  RETURNING id, claim_id, (xmax = 0) AS inserted`;
}

/** Stores `items` (each already the first of its key in the batch); one result per item. */
async function insertOnce(query: Query, n: Names, items: readonly AddRequest[]): Promise<AddResult[]> {
  const claimIds = items.map(() => randomUUID());
  const column = <T>(f: (r: AddRequest) => T) => items.map(f);
  const rows = await query<{ id: number; claim_id: string; inserted: boolean }>(insertSql(n), [
    column((r) => r.delivery.receiverUuid),
    column((r) => r.delivery.kind),
    column((r) => r.delivery.event),
    column((r) => r.delivery.deliveryId ?? null),
    column((r) => r.delivery.hookId ?? ""),
    column((r) => JSON.stringify(r.delivery.headers)),
    column((r) => asBuffer(r.delivery.body)),
    column((r) => r.delivery.receivedAt),
    claimIds,
    column((r) => r.lease.owner),
    column((r) => r.delivery.receivedAt + r.lease.ms),
  ]);
  const stored = new Map(rows.map((r) => [r.claim_id, r]));
  const results: Array<AddResult | undefined> = claimIds.map((claimId) => {
    const row = stored.get(claimId);
    return row && { id: row.id, duplicate: false, revived: !row.inserted, claimId };
  });
  // The others met a stored delivery that is not dead: duplicates. Their ids are read in a
  // statement of their own, which sees rows committed by other relays after the insert began.
  const missing = items.flatMap((r, i) => (results[i] === undefined ? [r.delivery] : []));
  if (missing.length > 0) {
    const found = await query<{ id: number; receiver_uuid: string; delivery_id: string; hook_id: string }>(
      `SELECT id, receiver_uuid, delivery_id, hook_id FROM ${n.deliveries}
       WHERE (receiver_uuid, delivery_id, hook_id) IN (SELECT * FROM unnest($1::text[], $2::text[], $3::text[]))`,
      [
        missing.map((d) => d.receiverUuid),
        missing.map((d) => d.deliveryId),
        missing.map((d) => d.hookId ?? ""),
      ],
    );
    const ids = new Map(
      found.map((r) => [JSON.stringify([r.receiver_uuid, r.delivery_id, r.hook_id]), r.id]),
    );
    for (const [i, r] of items.entries()) {
      // Gone already (purged or pruned in between): still a duplicate of what was stored.
      results[i] ??= { id: ids.get(keyOf(r.delivery)!) ?? 0, duplicate: true, revived: false };
    }
  }
  return results as AddResult[];
}

/** Consecutive slices of `items` within the statement bounds. */
function slices(items: readonly AddRequest[]): AddRequest[][] {
  const out: AddRequest[][] = [];
  let current: AddRequest[] = [];
  let bytes = 0;
  for (const item of items) {
    const size = item.delivery.body.byteLength;
    if (current.length > 0 && (current.length >= MAX_STATEMENT_ROWS || bytes + size > MAX_STATEMENT_BYTES)) {
      out.push(current);
      current = [];
      bytes = 0;
    }
    current.push(item);
    bytes += size;
  }
  if (current.length > 0) out.push(current);
  return out;
}

const isDeadlock = (err: unknown) => {
  const code = (err as { code?: unknown } | null)?.code;
  return code === "40P01" || code === "40001";
};

/**
 * Stores a batch of deliveries, each claimed under its lease; one result per item, in order. A key
 * repeated within the batch is stored once (one statement cannot touch a row twice): the later
 * copies are duplicates of the first, as they would be one after the other.
 */
export async function insertBatch(
  query: Query,
  n: Names,
  items: readonly AddRequest[],
): Promise<AddResult[]> {
  const leaders: AddRequest[] = [];
  const leaderOf = new Map<string, number>();
  const follows: Array<number | undefined> = items.map((item) => {
    const key = keyOf(item.delivery);
    if (key !== undefined) {
      const first = leaderOf.get(key);
      if (first !== undefined) return first;
      leaderOf.set(key, leaders.length);
    }
    leaders.push(item);
    return undefined;
  });
  const stored: AddResult[] = [];
  for (const slice of slices(leaders)) {
    for (let attempt = 1; ; attempt++) {
      try {
        stored.push(...(await insertOnce(query, n, slice)));
        break;
      } catch (err) {
        // The statement was rolled back whole: running it again stores each delivery once.
        if (!isDeadlock(err) || attempt >= RETRIES) throw err;
      }
    }
  }
  let next = 0;
  return follows.map((leader) => {
    if (leader === undefined) return stored[next++]!;
    return { id: stored[leader]!.id, duplicate: true, revived: false };
  });
}
