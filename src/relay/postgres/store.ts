// The relay's store on PostgreSQL, shared by any number of relays: the same rows and meaning as
// the SQLite store, with claims under a lease so that no two relays forward a delivery at once.
// Adds and settlements are batched per turn of the event loop (insert-batch.ts, settle-batch.ts);
// maintenance runs on one relay at a time (maintenance.ts); other relays are woken by NOTIFY
// (wake.ts) after commits that free work. Every error it throws is redacted of the URL's password.
//
// For the relay's lifecycle: `available` (and `onAvailability`) says whether PostgreSQL answers,
// for /readyz and intake's 503; `onWake` calls back when another relay freed or queued work.

import type { Pool, PoolClient } from "pg";
import type { Logger } from "pino";
import type {
  AddResult,
  AttemptResult,
  ClaimedDelivery,
  ClaimRef,
  DeadDelivery,
  DeadFilter,
  DeadSummary,
  DeliveryRecord,
  DeliveryStore,
  Lease,
  NewDelivery,
  RecordFilter,
  Retarget,
} from "../store";
import { Availability } from "./availability";
import { lockedClaims, retryingConflicts } from "./conflicts";
import { PostgresUnavailableError, storeError } from "./errors";
import { type ImportCounts, type ImportRow, importRows } from "./import-rows";
import { type AddRequest, insertBatch, type Query } from "./insert-batch";
import { prune, sweep } from "./maintenance";
import type { Names } from "./names";
import type { Redactor } from "./redact";
import { replayDead } from "./replay";
import {
  DELIVERY_COLUMNS,
  type DeliveryRow,
  deadWhere,
  RECORD_COLUMNS,
  type RecordRow,
  recordsWhere,
  SUMMARY_COLUMNS,
  type SummaryRow,
  toDead,
  toDelivery,
  toRecord,
  toSummary,
} from "./rows";
import { isClaimId, type Settlement, settleBatch } from "./settle-batch";
import { TickQueue } from "./tick-queue";
import type { WakeListener } from "./wake";

/** What the store is built from (index.ts opens the pool and checks the schema). */
export interface PostgresStoreParts {
  readonly pool: Pool;
  readonly names: Names;
  readonly redact: Redactor;
  /** Makes the LISTEN connection, once someone listens for wake-ups. */
  readonly wakeListener: (events: ConstructorParameters<typeof WakeListener>[2]) => WakeListener;
  readonly logger: Logger | undefined;
}

export class PostgresStore implements DeliveryStore {
  /** The database URL without its password, for logs. */
  readonly target: string;
  /** The schema holding the tables. */
  readonly schema: string;
  private readonly pool: Pool;
  private readonly n: Names;
  private readonly redact: Redactor;
  private readonly logger: Logger | undefined;
  private readonly health: Availability;
  private readonly adds: TickQueue<AddRequest, AddResult>;
  private readonly settlements: TickQueue<Settlement, boolean>;
  private readonly wakeListeners = new Set<() => void>();
  private wake: WakeListener | undefined;
  private closing: Promise<void> | undefined;

  constructor(private readonly parts: PostgresStoreParts) {
    this.pool = parts.pool;
    this.n = parts.names;
    this.redact = parts.redact;
    this.logger = parts.logger;
    this.target = parts.redact.target;
    this.schema = parts.names.schema;
    this.health = new Availability(
      async () => {
        await this.query("probing the database")("SELECT 1", []);
      },
      (up, detail) => {
        if (up) this.logger?.info({ database: this.target }, "PostgreSQL answers again");
        else this.logger?.error({ database: this.target, detail }, "PostgreSQL is unavailable");
      },
    );
    // An idle connection's error arrives as an event; unhandled, it would end the process.
    // One lost connection may be one the server cut (idle timeout, a DBA): a probe tells.
    this.pool.on("error", (err) => {
      const e = storeError(err, "an idle connection", this.redact);
      this.logger?.warn({ database: this.target, detail: e.message }, "a PostgreSQL connection was lost");
      this.health.check();
    });
    this.adds = new TickQueue((items) => insertBatch(this.query("storing deliveries"), this.n, items));
    this.settlements = new TickQueue(async (items) => {
      const { held, retried } = await settleBatch(this.query("settling deliveries"), this.n, items);
      if (retried) await this.notify();
      return held;
    });
  }

  /** Whether PostgreSQL answered the last call (or probe): false means intake answers 503. */
  get available(): boolean {
    return this.health.available;
  }

  /** Calls `listener` whenever availability changes; returns a function that unsubscribes. */
  onAvailability(listener: (available: boolean) => void): () => void {
    return this.health.onChange(listener);
  }

  /**
   * Calls `listener` when another relay (or a `dlq replay`) made deliveries claimable, and after
   * each (re)connection of the LISTEN connection, since notifications may have been missed. Only a
   * hint: keep polling. The first listener opens the LISTEN connection.
   */
  onWake(listener: () => void): () => void {
    this.wakeListeners.add(listener);
    if (this.wake === undefined && this.closing === undefined) {
      this.wake = this.parts.wakeListener({
        wake: () => {
          for (const l of this.wakeListeners) l();
        },
        state: (listening, detail) => {
          if (listening) this.logger?.info({ database: this.target }, "listening for wake-ups");
          else
            this.logger?.warn(
              { database: this.target, detail: detail && this.redact(detail) },
              "lost the LISTEN connection; reconnecting",
            );
        },
      });
      this.wake.start();
    }
    return () => this.wakeListeners.delete(listener);
  }

  /** Whether the LISTEN connection is subscribed now (false before the first `onWake`). */
  get listening(): boolean {
    return this.wake?.listening ?? false;
  }

  async add(delivery: NewDelivery, lease: Lease): Promise<AddResult> {
    this.assertOpen();
    return this.adds.run({ delivery, lease });
  }

  async claim(now: number, limit: number, lease: Lease): Promise<ClaimedDelivery[]> {
    this.assertOpen();
    if (limit <= 0) return [];
    const rows = await this.query("claiming deliveries")<DeliveryRow & { claim_id: string }>(
      `WITH due AS (
         SELECT id FROM ${this.n.deliveries}
         WHERE state = 'pending' AND next_attempt_at <= $1::bigint
           AND (claim_id IS NULL OR lease_until < $1::bigint)
         ORDER BY next_attempt_at, id
         LIMIT $2
         FOR UPDATE SKIP LOCKED
       )
       UPDATE ${this.n.deliveries} d
       SET claim_id = gen_random_uuid(), claimed_by = $3, lease_until = $1::bigint + $4::bigint
       FROM due WHERE d.id = due.id
       RETURNING ${prefixed("d", DELIVERY_COLUMNS)}, d.claim_id`,
      [now, limit, lease.owner, lease.ms],
    );
    rows.sort((a, b) => a.next_attempt_at - b.next_attempt_at || a.id - b.id);
    return rows.map((r) => ({ ...toDelivery(r), claimId: r.claim_id }));
  }

  async heartbeat(claims: readonly ClaimRef[], now: number, lease: Lease): Promise<ClaimRef[]> {
    this.assertOpen();
    const valid = claims.filter((c) => isClaimId(c.claimId) && Number.isSafeInteger(c.id));
    if (valid.length === 0) return [...claims];
    const rows = await retryingConflicts(this.query("renewing leases"))<{ id: number; claim_id: string }>(
      `WITH ${lockedClaims(this.n.deliveries)}
       UPDATE ${this.n.deliveries} d SET lease_until = $3::bigint + $4::bigint, claimed_by = $5
       FROM locked WHERE d.id = locked.id AND d.claim_id = locked.claim_id AND d.state = 'pending'
       RETURNING d.id, d.claim_id`,
      [valid.map((c) => c.id), valid.map((c) => c.claimId), now, lease.ms, lease.owner],
    );
    const held = new Set(rows.map((r) => `${r.id}/${r.claim_id}`));
    return claims.filter((c) => !held.has(`${c.id}/${c.claimId.toLowerCase()}`));
  }

  async release(claims: readonly ClaimRef[]): Promise<void> {
    this.assertOpen();
    const valid = claims.filter((c) => isClaimId(c.claimId) && Number.isSafeInteger(c.id));
    if (valid.length === 0) return;
    const rows = await retryingConflicts(this.query("releasing claims"))<{ id: number }>(
      `WITH ${lockedClaims(this.n.deliveries)}
       UPDATE ${this.n.deliveries} d SET claim_id = NULL, claimed_by = NULL, lease_until = NULL
       FROM locked WHERE d.id = locked.id AND d.claim_id = locked.claim_id AND d.state = 'pending'
       RETURNING d.id`,
      [valid.map((c) => c.id), valid.map((c) => c.claimId)],
    );
    if (rows.length > 0) await this.notify();
  }

  complete(
    claim: ClaimRef,
    outcome: "delivered" | "ignored",
    result: AttemptResult,
    now: number,
  ): Promise<boolean> {
    return this.settle({ claim, action: outcome, result, now });
  }

  retryLater(claim: ClaimRef, at: number, result: AttemptResult, now: number): Promise<boolean> {
    return this.settle({ claim, action: "retry", at, result, now });
  }

  deadLetter(claim: ClaimRef, reason: string, result: AttemptResult, now: number): Promise<boolean> {
    return this.settle({ claim, action: "dead", reason, result, now });
  }

  async sweep(now: number): Promise<number> {
    this.assertOpen();
    const freed = await sweep(this.query("sweeping expired claims"), this.n, now);
    if (freed > 0) await this.notify();
    return freed;
  }

  async nextDueAt(owner: string): Promise<number | undefined> {
    this.assertOpen();
    const [row] = await this.query("reading when the next delivery is due")<{ at: number | null }>(
      `SELECT least(
         (SELECT min(next_attempt_at) FROM ${this.n.deliveries} WHERE state = 'pending' AND claim_id IS NULL),
         (SELECT min(greatest(next_attempt_at, lease_until + 1)) FROM ${this.n.deliveries}
          WHERE state = 'pending' AND claim_id IS NOT NULL AND claimed_by IS DISTINCT FROM $1)
       ) AS at`,
      [owner],
    );
    return row!.at ?? undefined;
  }

  async counts(): Promise<{ pending: number; dead: number }> {
    this.assertOpen();
    const rows = await this.query("counting deliveries")<{ state: "pending" | "dead"; n: number }>(
      `SELECT state, count(*) AS n FROM ${this.n.deliveries} WHERE state IN ('pending', 'dead') GROUP BY state`,
      [],
    );
    const out = { pending: 0, dead: 0 };
    for (const r of rows) out[r.state] = r.n;
    return out;
  }

  async listDead(limit = 1000): Promise<DeadDelivery[]> {
    this.assertOpen();
    checkLimit("listDead", limit);
    const rows = await this.query("listing dead letters")<DeliveryRow>(
      `SELECT ${DELIVERY_COLUMNS} FROM ${this.n.deliveries} WHERE state = 'dead' ORDER BY id LIMIT $1`,
      [limit],
    );
    return rows.map(toDead);
  }

  async replay(filter: DeadFilter, now: number, retarget?: Retarget): Promise<number> {
    this.assertOpen();
    const queued = await this.session("replaying dead letters", (query) =>
      replayDead(query, this.n, filter, now, retarget),
    );
    if (queued > 0) await this.notify();
    return queued;
  }

  async purgeDead(filter: DeadFilter, dryRun: boolean): Promise<DeadSummary[]> {
    this.assertOpen();
    const where = deadWhere(filter, 1);
    // Deleting the row forgets its key: the code host's redelivery is taken as new.
    const rows = await this.query("purging dead letters")<SummaryRow>(
      dryRun
        ? `SELECT ${SUMMARY_COLUMNS} FROM ${this.n.deliveries} WHERE state = 'dead'${where.sql}`
        : `DELETE FROM ${this.n.deliveries} WHERE state = 'dead'${where.sql} RETURNING ${SUMMARY_COLUMNS}`,
      where.params,
    );
    return rows.sort((a, b) => a.id - b.id).map(toSummary);
  }

  async records(filter: RecordFilter, limit: number): Promise<DeliveryRecord[]> {
    this.assertOpen();
    checkLimit("records", limit);
    const where = recordsWhere(filter);
    const rows = await this.query("reading records")<RecordRow>(
      `SELECT ${RECORD_COLUMNS} FROM ${this.n.deliveries}${where.sql}
       ORDER BY received_at DESC, id DESC LIMIT $${where.params.length + 1}`,
      [...where.params, limit],
    );
    return rows.map(toRecord);
  }

  async prune(before: number): Promise<void> {
    this.assertOpen();
    await prune((work) => this.session("pruning records", work), this.n, before);
  }

  /**
   * Copies rows from another store (copy-from-sqlite.ts) in one transaction; with `dryRun`, counts
   * what it would copy and rolls back.
   */
  async importRows(rows: readonly ImportRow[], dryRun: boolean): Promise<ImportCounts> {
    this.assertOpen();
    const counts = await this.session("copying deliveries", async (query) => {
      await query("BEGIN", []);
      const counted = await importRows(query, this.n, rows);
      await query(dryRun ? "ROLLBACK" : "COMMIT", []);
      return counted;
    });
    if (!dryRun && counts.pending > 0) await this.notify();
    return counts;
  }

  /** Finishes what is queued, then closes the connections. Calls made after it reject. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      await Promise.allSettled([this.adds.drain(), this.settlements.drain()]);
      this.health.stop();
      await this.wake?.stop();
      await this.pool.end().catch(() => {});
    })();
    return this.closing;
  }

  private assertOpen(): void {
    if (this.closing !== undefined) throw new Error("the PostgreSQL store is closed");
  }

  private async settle(s: Settlement): Promise<boolean> {
    this.assertOpen();
    return this.settlements.run(s);
  }

  /** Tells the other relays to look now. The work is committed already: failing here is only logged. */
  private async notify(): Promise<void> {
    try {
      await this.query("waking the other relays")("SELECT pg_notify($1, '')", [this.n.channel]);
    } catch (err) {
      this.logger?.warn(
        { database: this.target, detail: (err as Error).message },
        "could not wake the other relays",
      );
    }
  }

  /** A statement runner that redacts errors and keeps availability up to date. */
  private query(doing: string): Query {
    return async <R extends object>(text: string, params: unknown[]): Promise<R[]> => {
      try {
        const result = await this.pool.query<R>(text, params);
        this.health.ok();
        return result.rows;
      } catch (err) {
        throw this.fail(err, doing);
      }
    };
  }

  /** Runs `work` on one connection of its own (a transaction, a session lock). */
  private async session<T>(doing: string, work: (query: Query) => Promise<T>): Promise<T> {
    let client: PoolClient;
    try {
      client = await this.pool.connect();
    } catch (err) {
      throw this.fail(err, doing);
    }
    let failed: Error | undefined;
    try {
      const result = await work(async <R extends object>(text: string, params: unknown[]) => {
        try {
          const r = await client.query<R>(text, params);
          this.health.ok();
          return r.rows;
        } catch (err) {
          throw this.fail(err, doing);
        }
      });
      return result;
    } catch (err) {
      failed = err as Error;
      throw err;
    } finally {
      // A connection that failed midway may hold a transaction or a lock: it is closed, not reused.
      client.release(failed);
    }
  }

  private fail(err: unknown, doing: string): Error {
    const e = storeError(err, doing, this.redact);
    if (e instanceof PostgresUnavailableError) this.health.lost(e.message);
    return e;
  }
}

function checkLimit(what: string, limit: number): void {
  if (!Number.isInteger(limit) || limit < 0) throw new Error(`${what}: limit ${limit} is not a count`);
}

/** `columns` (a comma-separated list) each prefixed with `alias.`. */
function prefixed(alias: string, columns: string): string {
  return columns
    .split(",")
    .map((c) => `${alias}.${c.trim()}`)
    .join(", ");
}
