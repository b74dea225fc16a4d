// Rows copied from another store (a SQLite data directory) into the deliveries table, as they were:
// pending ones free with their attempts, retry window and next attempt; dead letters with their
// bodies; settled records without. Each source row is recorded in `imported`, so a second copy of
// the same rows does nothing, even once the copies were forwarded and pruned here.
import type { Query } from "./insert-batch";
import type { Names } from "./names";

export interface ImportRow {
  /** Names the source row, the same on every copy of it (the source store and the row's id). */
  readonly source: string;
  readonly receiverUuid: string;
  readonly kind: string;
  readonly event: string;
  readonly deliveryId: string | null;
  readonly hookId: string;
  /** The headers' JSON text as the source holds it: kept byte for byte. */
  readonly headers: string | null;
  readonly body: Buffer | null;
  readonly receivedAt: number;
  readonly windowStart: number;
  readonly attempts: number;
  readonly nextAttemptAt: number;
  readonly state: "pending" | "delivered" | "ignored" | "dead";
  readonly lastStatus: number | null;
  readonly lastError: string | null;
  readonly lastAttemptAt: number | null;
  readonly deadReason: string | null;
  readonly deadAt: number | null;
  readonly settledAt: number | null;
}

export interface ImportCounts {
  /** Copied, by state. */
  readonly pending: number;
  readonly dead: number;
  /** Delivered and ignored records (their keys drop redeliveries for the dedupe window). */
  readonly records: number;
  /** Copied by an earlier run. */
  readonly alreadyCopied: number;
  /** Not copied: the database holds a delivery with the same key (receiver, delivery ID, hook ID). */
  readonly keyTaken: number;
}

/**
 * Copies `rows` on the connection behind `query`, which must be inside a transaction: the import
 * lock makes two copies running at once take turns, so neither copies a row the other did.
 */
export async function importRows(query: Query, n: Names, rows: readonly ImportRow[]): Promise<ImportCounts> {
  await query("SELECT pg_advisory_xact_lock($1, hashtext($2))", [n.lockKey("import"), n.schema]);
  const col = <T>(f: (r: ImportRow) => T) => rows.map(f);
  const [counts] = await query<{
    fresh: number;
    pending: number;
    dead: number;
    records: number;
  }>(
    `WITH src AS (
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[],
         $7::text[], $8::bytea[], $9::bigint[], $10::bigint[], $11::integer[], $12::bigint[], $13::text[],
         $14::integer[], $15::text[], $16::bigint[], $17::text[], $18::bigint[], $19::bigint[])
         WITH ORDINALITY AS t(source, receiver_uuid, kind, event, delivery_id, hook_id, headers, body, received_at,
           window_start, attempts, next_attempt_at, state, last_status, last_error, last_attempt_at,
           dead_reason, dead_at, settled_at, ord)
     ),
     fresh AS (
       INSERT INTO ${n.imported} (source) SELECT source FROM src ON CONFLICT DO NOTHING RETURNING source
     ),
     copied AS (
       INSERT INTO ${n.deliveries} (receiver_uuid, kind, event, delivery_id, hook_id, headers, body,
         received_at, window_start, attempts, next_attempt_at, state, last_status, last_error,
         last_attempt_at, dead_reason, dead_at, settled_at)
       SELECT receiver_uuid, kind, event, delivery_id, hook_id, headers::json, body, received_at,
         window_start, attempts, next_attempt_at, state, last_status, last_error, last_attempt_at,
         dead_reason, dead_at, settled_at
       FROM src WHERE source IN (SELECT source FROM fresh)
       -- In the source's order: its ids, and so the order of equal due times, carry over.
       ORDER BY ord
       ON CONFLICT DO NOTHING
       RETURNING state
     )
     SELECT (SELECT count(*) FROM fresh) AS fresh,
       count(*) FILTER (WHERE state = 'pending') AS pending,
       count(*) FILTER (WHERE state = 'dead') AS dead,
       count(*) FILTER (WHERE state IN ('delivered', 'ignored')) AS records
     FROM copied`,
    [
      col((r) => r.source),
      col((r) => r.receiverUuid),
      col((r) => r.kind),
      col((r) => r.event),
      col((r) => r.deliveryId),
      col((r) => r.hookId),
      col((r) => r.headers),
      col((r) => r.body),
      col((r) => r.receivedAt),
      col((r) => r.windowStart),
      col((r) => r.attempts),
      col((r) => r.nextAttemptAt),
      col((r) => r.state),
      col((r) => r.lastStatus),
      col((r) => r.lastError),
      col((r) => r.lastAttemptAt),
      col((r) => r.deadReason),
      col((r) => r.deadAt),
      col((r) => r.settledAt),
    ],
  );
  const copied = counts!.pending + counts!.dead + counts!.records;
  return {
    pending: counts!.pending,
    dead: counts!.dead,
    records: counts!.records,
    alreadyCopied: rows.length - counts!.fresh,
    keyTaken: counts!.fresh - copied,
  };
}
