// Maintenance that one relay at a time does for all: freeing expired claims (sweep) and forgetting
// records past the dedupe window (prune). Each takes an advisory lock without waiting; a relay that
// does not get it skips the round, since another is doing the same work at that moment.
import { retryingConflicts } from "./conflicts";
import type { Query } from "./insert-batch";
import type { Names } from "./names";

/** Records removed by one statement of `prune`: short statements, short locks. */
const PRUNE_SLICE = 2000;

/**
 * Frees the claims whose lease ended before `now`, in one statement that holds the sweep lock for
 * its own duration. Resolves with how many were freed (0 when another relay was sweeping). Rows are
 * locked in id order (conflicts.ts), skipping those locked now: a settlement or heartbeat holds
 * them, and the next sweep sees what it left.
 */
export async function sweep(query: Query, n: Names, now: number): Promise<number> {
  const rows = await retryingConflicts(query)<{ freed: number }>(
    `WITH lock AS (SELECT pg_try_advisory_xact_lock($2, hashtext($3)) AS got),
     expired AS (
       SELECT id FROM ${n.deliveries}
       WHERE claim_id IS NOT NULL AND lease_until < $1 AND state = 'pending' AND (SELECT got FROM lock)
       ORDER BY id FOR UPDATE SKIP LOCKED
     ),
     freed AS (
       UPDATE ${n.deliveries} d SET claim_id = NULL, claimed_by = NULL, lease_until = NULL
       FROM expired WHERE d.id = expired.id
       RETURNING 1
     )
     SELECT count(*) AS freed FROM freed`,
    [now, n.lockKey("sweep"), n.schema],
  );
  return rows[0]!.freed;
}

/**
 * Deletes delivered and ignored records settled before `before`, in slices, while holding the prune
 * lock on one connection (a session lock: the slices are separate statements). The server drops
 * the lock with the connection if this relay dies midway.
 */
export async function prune(
  session: <T>(work: (query: Query) => Promise<T>) => Promise<T>,
  n: Names,
  before: number,
): Promise<void> {
  await session(async (query) => {
    const key = [n.lockKey("prune"), n.schema];
    const [lock] = await query<{ got: boolean }>("SELECT pg_try_advisory_lock($1, hashtext($2)) AS got", key);
    if (!lock!.got) return;
    try {
      for (;;) {
        const deleted = await query<{ n: number }>(
          `WITH gone AS (
             DELETE FROM ${n.deliveries} WHERE id IN (
               SELECT id FROM ${n.deliveries}
               WHERE state IN ('delivered', 'ignored') AND settled_at < $1
               LIMIT $2 FOR UPDATE SKIP LOCKED)
             RETURNING 1)
           SELECT count(*) AS n FROM gone`,
          [before, PRUNE_SLICE],
        );
        if (deleted[0]!.n < PRUNE_SLICE) break;
      }
    } finally {
      await query("SELECT pg_advisory_unlock($1, hashtext($2))", key);
    }
  });
}
