// Statements that update rows other connections update too (heartbeats, settlements, releases,
// sweeps) lock them in id order, so two of them wait for each other at most one way. PostgreSQL may
// still refuse one as a deadlock (with a statement outside that order) or a serialization failure
// (under a stricter default isolation); it rolled the statement back whole, so running it again
// is safe, and a second or third try nearly always passes.
import type { Query } from "./insert-batch";

/** SQL states of a statement PostgreSQL rolled back for colliding with another: try it again. */
const CONFLICTS = new Set(["40P01", "40001"]);
/** Tries after the first one. */
const RETRIES = 2;

/** `query`, running a statement again (up to twice) when PostgreSQL refused it as a conflict. */
export function retryingConflicts(query: Query): Query {
  return async <R extends object>(text: string, params: unknown[]): Promise<R[]> => {
    for (let attempt = 0; ; attempt++) {
      try {
        return await query<R>(text, params);
      } catch (err) {
        const code = (err as { code?: unknown } | null)?.code;
        if (attempt >= RETRIES || typeof code !== "string" || !CONFLICTS.has(code)) throw err;
      }
    }
  };
}

/**
 * A CTE `locked(id, claim_id)`: the pending rows of `deliveries` still held by the claims in $1 (ids)
 * and $2 (claim IDs), locked in id order. The UPDATE that follows joins it on both.
 */
export function lockedClaims(deliveries: string): string {
  return `locked AS (
    SELECT d.id, c.claim_id FROM ${deliveries} d
    JOIN unnest($1::bigint[], $2::uuid[]) AS c(id, claim_id) ON d.id = c.id AND d.claim_id = c.claim_id
    WHERE d.state = 'pending' ORDER BY d.id FOR UPDATE OF d
  )`;
}
