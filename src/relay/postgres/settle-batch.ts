// The settlements of one turn of the event loop (forwarded, ignored, retry later, dead-lettered),
// written by one UPDATE … FROM unnest(…): a forwarded delivery costs a share of one statement, not
// a transaction of its own. Each acts only while its claim still holds the row.
import type { AttemptResult, ClaimRef } from "../store";
import { retryingConflicts } from "./conflicts";
import type { Query } from "./insert-batch";
import type { Names } from "./names";

export type Settlement = {
  readonly claim: ClaimRef;
  readonly result: AttemptResult;
  readonly now: number;
} & (
  | { readonly action: "delivered" | "ignored" }
  | { readonly action: "retry"; readonly at: number }
  | { readonly action: "dead"; readonly reason: string }
);

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A claim ID this store could have made: anything else holds no row. */
export const isClaimId = (claimId: string): boolean => UUID.test(claimId);

function settleSql(n: Names): string {
  // Settled rows keep their record without headers and body; retried ones stay pending, free.
  // The rows are locked first, in id order (conflicts.ts): a heartbeat of the same claims from
  // another connection then waits for this statement, or this one for it, never both.
  return `WITH s AS (
    SELECT * FROM unnest($1::bigint[], $2::uuid[], $3::text[], $4::integer[], $5::text[], $6::bigint[],
      $7::bigint[], $8::text[]) AS s(id, claim_id, action, status, error, now, at, reason)
  ), locked AS (
    SELECT d.id FROM ${n.deliveries} d JOIN s ON d.id = s.id AND d.claim_id = s.claim_id
    WHERE d.state = 'pending' ORDER BY d.id FOR UPDATE OF d
  )
  UPDATE ${n.deliveries} d SET
    state = CASE s.action WHEN 'retry' THEN 'pending' ELSE s.action END,
    attempts = d.attempts + 1,
    last_status = s.status,
    last_error = s.error,
    last_attempt_at = s.now,
    next_attempt_at = CASE WHEN s.action = 'retry' THEN s.at ELSE d.next_attempt_at END,
    settled_at = CASE WHEN s.action = 'retry' THEN NULL ELSE s.now END,
    dead_reason = CASE WHEN s.action = 'dead' THEN s.reason END,
    dead_at = CASE WHEN s.action = 'dead' THEN s.now END,
    headers = CASE WHEN s.action IN ('delivered', 'ignored') THEN NULL ELSE d.headers END,
    body = CASE WHEN s.action IN ('delivered', 'ignored') THEN NULL ELSE d.body END,
    signature = CASE WHEN s.action = 'retry' THEN d.signature END,
    signature_secret = CASE WHEN s.action = 'retry' THEN d.signature_secret END,
    claim_id = NULL, claimed_by = NULL, lease_until = NULL
  FROM s, locked
  WHERE d.id = locked.id AND d.id = s.id AND d.claim_id = s.claim_id AND d.state = 'pending'
  RETURNING d.id, s.claim_id`;
}

/**
 * Writes a batch of settlements; resolves with whether each one held its claim (in order), and
 * whether any made work for other relays (a retry), for the caller to wake them.
 */
export async function settleBatch(
  query: Query,
  n: Names,
  items: readonly Settlement[],
): Promise<{ held: boolean[]; retried: boolean }> {
  // The same claim settled twice in one batch: the first one counts, as it would one after the other.
  const seen = new Set<string>();
  const sent = items.filter((s) => {
    const key = `${s.claim.id}/${s.claim.claimId.toLowerCase()}`;
    if (!isClaimId(s.claim.claimId) || !Number.isSafeInteger(s.claim.id) || seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  if (sent.length === 0) return { held: items.map(() => false), retried: false };
  const col = <T>(f: (s: Settlement) => T) => sent.map(f);
  const rows = await retryingConflicts(query)<{ id: number; claim_id: string }>(settleSql(n), [
    col((s) => s.claim.id),
    col((s) => s.claim.claimId),
    col((s) => s.action),
    col((s) => s.result.status ?? null),
    col((s) => s.result.error ?? null),
    col((s) => s.now),
    col((s) => (s.action === "retry" ? s.at : null)),
    col((s) => (s.action === "dead" ? s.reason : null)),
  ]);
  const done = new Set(rows.map((r) => `${r.id}/${r.claim_id.toLowerCase()}`));
  const counted = new Set<string>();
  const held = items.map((s) => {
    const key = `${s.claim.id}/${s.claim.claimId.toLowerCase()}`;
    if (!done.has(key) || counted.has(key)) return false;
    counted.add(key);
    return true;
  });
  const retried = items.some((s, i) => s.action === "retry" && held[i]);
  return { held, retried };
}
