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
/** A batch that lost a race with another relay (isRace) is tried this often. */
const RETRIES = 3;

const keyOf = (d: NewDelivery): string | undefined =>
  d.deliveryId === undefined ? undefined : JSON.stringify([d.receiverUuid, d.deliveryId, d.hookId ?? ""]);

const asBuffer = (body: Uint8Array) => Buffer.from(body.buffer, body.byteOffset, body.byteLength);

/**
 * One statement for the batch. `input` is the batch; `match` the stored delivery each one repeats,
 * where the key matches as the SQLite store matches it: the same receiver and delivery ID, and the
 * same hook ID, or no hook ID on either side (the code host did not say which hook, so it cannot
 * be told apart from any). A stored delivery that is not dead wins: the delivery was taken. A dead
 * match is revived by id; a delivery with no match is inserted, and its ON CONFLICT covers a relay
 * that stored the same key since this statement's snapshot (the unique index decides).
 */
function insertSql(n: Names): string {
  const revive = `state = 'pending', event = i.event, headers = i.headers::json, body = i.body,
    received_at = i.received_at, window_start = i.received_at, next_attempt_at = i.received_at, attempts = 0,
    dead_reason = NULL, dead_at = NULL, settled_at = NULL, claim_id = i.claim_id, claimed_by = i.claimed_by,
    lease_until = i.lease_until, signature = i.signature, signature_secret = i.signature_secret`;
  return `WITH input AS (
    SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::bytea[],
      $8::bigint[], $9::uuid[], $10::text[], $11::bigint[], $12::text[], $13::text[]) WITH ORDINALITY
      AS t(receiver_uuid, kind, event, delivery_id, hook_id, headers, body, received_at, claim_id, claimed_by,
        lease_until, signature, signature_secret, ord)
  ),
  match AS (
    SELECT DISTINCT ON (i.ord) i.ord, d.id, d.state
    FROM input i JOIN ${n.deliveries} d ON d.receiver_uuid = i.receiver_uuid AND d.delivery_id = i.delivery_id
      AND (d.hook_id = i.hook_id OR d.hook_id = '' OR i.hook_id = '')
    ORDER BY i.ord, d.state = 'dead', d.id DESC
  ),
  revived AS (
    UPDATE ${n.deliveries} d SET ${revive},
      -- A dead letter stored without its hook learns it, unless that would repeat another row's key.
      hook_id = CASE WHEN d.hook_id = '' AND NOT EXISTS (
        SELECT 1 FROM ${n.deliveries} o
        WHERE o.receiver_uuid = d.receiver_uuid AND o.delivery_id = d.delivery_id AND o.hook_id = i.hook_id
      ) THEN i.hook_id ELSE d.hook_id END
    FROM match m JOIN input i ON i.ord = m.ord
    WHERE d.id = m.id AND m.state = 'dead' AND d.state = 'dead'
    RETURNING d.id, d.claim_id
  ),
  inserted AS (
    INSERT INTO ${n.deliveries} AS d (receiver_uuid, kind, event, delivery_id, hook_id, headers, body,
      received_at, window_start, next_attempt_at, state, claim_id, claimed_by, lease_until, signature,
      signature_secret)
    SELECT receiver_uuid, kind, event, delivery_id, hook_id, headers::json, body,
      received_at, received_at, received_at, 'pending', claim_id, claimed_by, lease_until, signature,
      signature_secret
    FROM input i WHERE NOT EXISTS (SELECT 1 FROM match m WHERE m.ord = i.ord)
    ORDER BY i.ord
    ON CONFLICT (receiver_uuid, delivery_id, hook_id) WHERE delivery_id IS NOT NULL
    DO UPDATE SET state = 'pending', event = excluded.event, headers = excluded.headers, body = excluded.body,
      received_at = excluded.received_at, window_start = excluded.window_start,
      next_attempt_at = excluded.next_attempt_at, attempts = 0, dead_reason = NULL, dead_at = NULL,
      settled_at = NULL, claim_id = excluded.claim_id, claimed_by = excluded.claimed_by,
      lease_until = excluded.lease_until, signature = excluded.signature,
      signature_secret = excluded.signature_secret
    WHERE d.state = 'dead'
    RETURNING id, claim_id, (xmax = 0) AS inserted
  )
  SELECT id, claim_id::text AS claim_id, inserted, NULL::bigint AS ord FROM inserted
  UNION ALL SELECT id, claim_id::text, false, NULL FROM revived
  UNION ALL SELECT id, NULL, NULL, ord FROM match`;
}

interface ResultRow {
  id: number;
  /** Set on rows this statement stored or revived. */
  claim_id: string | null;
  inserted: boolean | null;
  /** Set on the stored delivery an input (1-based) matched. */
  ord: number | null;
}

/** Stores `items` (none repeating another's key); one result per item. */
async function insertOnce(query: Query, n: Names, items: readonly AddRequest[]): Promise<AddResult[]> {
  const claimIds = items.map(() => randomUUID());
  const column = <T>(f: (r: AddRequest) => T) => items.map(f);
  const rows = await query<ResultRow>(insertSql(n), [
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
    column((r) => r.delivery.signature?.value ?? null),
    column((r) => r.delivery.signature?.secret ?? null),
  ]);
  const stored = new Map(rows.flatMap((r) => (r.claim_id !== null ? [[r.claim_id, r] as const] : [])));
  const matched = new Map(rows.flatMap((r) => (r.ord !== null ? [[r.ord - 1, r.id] as const] : [])));
  const results: Array<AddResult | undefined> = claimIds.map((claimId, i) => {
    const row = stored.get(claimId);
    if (row) return { id: row.id, duplicate: false, revived: !row.inserted, claimId };
    const match = matched.get(i);
    // A match not revived: not dead, or revived by another relay first.
    return match === undefined ? undefined : { id: match, duplicate: true, revived: false };
  });
  // The others met a delivery another relay stored since the statement began: duplicates. Their ids
  // are read in a statement of their own, which sees that relay's commit.
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

/**
 * Races with another relay storing the same keys, where the statement was rolled back whole and
 * running it again sees that relay's rows: a deadlock (keys taken in another order), or a unique
 * violation (a revived dead letter learning a hook ID that relay stored meanwhile).
 */
const isRace = (err: unknown) => {
  const code = (err as { code?: unknown } | null)?.code;
  return code === "40P01" || code === "40001" || code === "23505";
};

/** Stores a batch of deliveries, each claimed under its lease; one result per item, in order. */
export async function insertBatch(
  query: Query,
  n: Names,
  items: readonly AddRequest[],
): Promise<AddResult[]> {
  // Within the batch, a delivery repeating an earlier one's key (as `match` matches keys) is its
  // duplicate, as it would be one after the other.
  const leaders: AddRequest[] = [];
  const byDeliveryId = new Map<string, Array<{ hook: string; leader: number }>>();
  const follows: Array<number | undefined> = items.map((item) => {
    const d = item.delivery;
    if (d.deliveryId !== undefined) {
      const id = JSON.stringify([d.receiverUuid, d.deliveryId]);
      const hook = d.hookId ?? "";
      const earlier = byDeliveryId.get(id) ?? [];
      const same = [...earlier].reverse().find((e) => e.hook === hook || e.hook === "" || hook === "");
      if (same !== undefined) return same.leader;
      earlier.push({ hook, leader: leaders.length });
      byDeliveryId.set(id, earlier);
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
        if (!isRace(err) || attempt >= RETRIES) throw err;
      }
    }
  }
  let next = 0;
  return follows.map((leader) => {
    if (leader === undefined) return stored[next++]!;
    return { id: stored[leader]!.id, duplicate: true, revived: false };
  });
}
