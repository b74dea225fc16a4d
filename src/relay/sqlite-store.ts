// The embedded store: SQLite in the data directory through better-sqlite3.
//
// Durability: WAL with synchronous=FULL. A 202 tells the code host it may forget the delivery
// (GitHub never redelivers by itself), so a commit must survive a power loss, not only a process
// crash; with synchronous=NORMAL, WAL commits since the last checkpoint can vanish when the OS
// goes down. The fsync this costs is shared: concurrent inserts are grouped into one transaction.
// Settling a delivery (forwarded, retry later, dead) goes through a second connection with
// synchronous=NORMAL: losing such an update to a power cut only means forwarding a delivery again
// (at least once), and the next FULL commit flushes the shared WAL anyway. Claims (claim,
// heartbeat, release, sweep) go there too: a claim lost to a power cut leaves its delivery free,
// which a restarted relay frees anyway. Settlements and claims are grouped per turn of the event
// loop too: one small transaction instead of one per delivery.
//
// Claims: a fresh (or revived) delivery is inserted claimed by the lease given to `add`; `claim`
// takes due rows that are free or whose lease ended, in an IMMEDIATE transaction, so two
// connections (two relays, or a relay and a `dlq` command) never take one row; every settlement
// acts only `WHERE id = ? AND claim_id = ? AND state = 'pending'`. A claim holds while
// `lease_until >= now`.
//
// A settled delivery's row stays as its record (Sourcegraph's answer, without headers or body)
// until the dedupe window has passed, so its key still drops the code host's redelivery and
// `doctor` can tell what Sourcegraph said. The schema and its migrations are in sqlite-schema.ts.

import { randomUUID } from "node:crypto";
import { join } from "node:path";
import Database from "better-sqlite3";
import { createPrivateFile, DATABASE_FILE, prepareDataDir } from "./data-dir";
import {
  deadWhere,
  type RecordRow,
  type Row,
  recordsWhere,
  type SummaryRow,
  toDead,
  toDelivery,
  toRecord,
  toSummary,
} from "./sqlite-rows";
import { hasLegacyKeys, openSchema } from "./sqlite-schema";
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
} from "./store";
import { TickBatch } from "./tick-batch";

export { DATABASE_FILE };

/** Records removed by one statement of `prune`. */
const PRUNE_SLICE = 2000;

/**
 * WAL pages (4 KiB) after which a commit copies the log into the database file: 16 MiB, not
 * SQLite's 4 MiB. A checkpoint writes each page once, its latest version, and a settled delivery's
 * body pages are freed and reused by the next ones: over a longer log more bodies come and go
 * between two checkpoints, and their pages reach the database file fewer times (measured with 21 KB
 * bodies: 43 -> 35 KB written per delivery with 50 pending, 56 -> 51 KB with 400; the same with
 * more pending than a log holds). Both connections, since either one's commit checkpoints.
 */
const CHECKPOINT_PAGES = 4000;

const blob = (body: Uint8Array) => Buffer.from(body.buffer, body.byteOffset, body.byteLength);

/** The claim columns cleared: the row is free again (or settled). */
const FREE = "claim_id = NULL, claimed_by = NULL, lease_until = NULL";
/** The row is still claimed by this claim. */
const HELD = "id = ? AND claim_id = ? AND state = 'pending'";
/** The code host's signature goes with the body: kept only while the delivery is pending. */
const UNSIGNED = "signature = NULL, signature_secret = NULL";

export class SqliteStore implements DeliveryStore {
  private readonly db: Database.Database;
  private readonly settle: Database.Database;
  private readonly inserts: TickBatch;
  private readonly settlements: TickBatch;
  private readonly stmts;
  /** Schema 1's delivery IDs, until the dedupe window has passed over the last of them. */
  private legacyKeys: { seen: Database.Statement; prune: Database.Statement } | undefined;

  /** Opens (or creates, or migrates) the store in `dataDir`. */
  constructor(dataDir: string) {
    prepareDataDir(dataDir);
    // Created owner-only before SQLite opens it: SQLite gives its WAL and shared-memory files the
    // database file's mode, and would otherwise create all three readable by everyone.
    createPrivateFile(dataDir, DATABASE_FILE);
    this.db = new Database(join(dataDir, DATABASE_FILE), { timeout: 5000 });
    this.db.pragma("journal_mode = WAL");
    this.db.pragma("synchronous = FULL");
    this.db.pragma("foreign_keys = ON");
    this.db.pragma(`wal_autocheckpoint = ${CHECKPOINT_PAGES}`);
    try {
      openSchema(this.db, join(dataDir, DATABASE_FILE));
    } catch (err) {
      this.db.close();
      throw err;
    }
    this.settle = new Database(join(dataDir, DATABASE_FILE), { timeout: 5000 });
    this.settle.pragma("synchronous = NORMAL");
    this.settle.pragma(`wal_autocheckpoint = ${CHECKPOINT_PAGES}`);
    this.inserts = new TickBatch(this.db);
    this.settlements = new TickBatch(this.settle);
    const settle = this.settle;
    const db = this.db;
    if (hasLegacyKeys(db)) {
      this.legacyKeys = {
        seen: db.prepare("SELECT 1 FROM seen WHERE receiver_uuid = ? AND delivery_id = ?"),
        prune: db.prepare("DELETE FROM seen WHERE seen_at < ?"),
      };
    }
    this.stmts = {
      // A key without a hook ID matches any hook's: the code host (or schema 1) did not say which.
      // A row that is not dead wins: the delivery was taken, whatever became of another copy.
      findKey: db.prepare(
        `SELECT id, state FROM deliveries
         WHERE receiver_uuid = ? AND delivery_id = ? AND (hook_id = ? OR hook_id = '' OR ? = '')
         ORDER BY state = 'dead', id DESC LIMIT 1`,
      ),
      insert: db.prepare(
        `INSERT INTO deliveries (receiver_uuid, kind, event, delivery_id, hook_id, headers, body, received_at,
           window_start, next_attempt_at, state, claim_id, claimed_by, lease_until, signature, signature_secret)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?, ?, ?, ?)`,
      ),
      revive: db.prepare(
        `UPDATE deliveries SET state = 'pending', event = ?, hook_id = COALESCE(NULLIF(?, ''), hook_id),
           headers = ?, body = ?, received_at = ?, window_start = ?, next_attempt_at = ?, attempts = 0,
           dead_reason = NULL, dead_at = NULL, settled_at = NULL, claim_id = ?, claimed_by = ?, lease_until = ?,
           signature = ?, signature_secret = ?
         WHERE id = ? AND state = 'dead'`,
      ),
      // Ids first, then whole rows: bodies are read only for what is taken. Free rows and ended
      // leases each from the index that holds only them (INDEXED BY: without statistics the planner
      // would rather walk every pending row by state), never past the rows claimed.
      claimable: settle
        .prepare(
          `SELECT id FROM (
             SELECT * FROM (
               SELECT id, next_attempt_at FROM deliveries INDEXED BY deliveries_free
               WHERE state = 'pending' AND claim_id IS NULL AND next_attempt_at <= :now
               ORDER BY next_attempt_at, id LIMIT :limit)
             UNION ALL
             SELECT * FROM (
               SELECT id, next_attempt_at FROM deliveries INDEXED BY deliveries_leases
               WHERE claim_id IS NOT NULL AND lease_until < :now AND state = 'pending' AND next_attempt_at <= :now
               ORDER BY next_attempt_at, id LIMIT :limit))
           ORDER BY next_attempt_at, id LIMIT :limit`,
        )
        .pluck(),
      take: settle.prepare(
        "UPDATE deliveries SET claim_id = ?, claimed_by = ?, lease_until = ? WHERE id = ? RETURNING *",
      ),
      renew: settle.prepare(`UPDATE deliveries SET lease_until = ? WHERE ${HELD}`),
      release: settle.prepare(`UPDATE deliveries SET ${FREE} WHERE ${HELD}`),
      sweep: settle.prepare(`UPDATE deliveries SET ${FREE} WHERE claim_id IS NOT NULL AND lease_until < ?`),
      // The body goes (Sourcegraph has it); the record of its answer stays for the dedupe window.
      complete: settle.prepare(
        `UPDATE deliveries SET state = ?, attempts = attempts + 1, last_status = ?, last_error = ?,
           last_attempt_at = ?, settled_at = ?, headers = NULL, body = NULL, ${UNSIGNED}, ${FREE}
         WHERE ${HELD}`,
      ),
      retry: settle.prepare(
        `UPDATE deliveries SET attempts = attempts + 1, next_attempt_at = ?, last_status = ?, last_error = ?,
           last_attempt_at = ?, ${FREE}
         WHERE ${HELD}`,
      ),
      dead: settle.prepare(
        `UPDATE deliveries SET state = 'dead', attempts = attempts + 1, last_status = ?, last_error = ?,
           last_attempt_at = ?, dead_reason = ?, dead_at = ?, settled_at = ?, ${UNSIGNED}, ${FREE}
         WHERE ${HELD}`,
      ),
      // The first free row in due order, and the first lease of another owner to end; a claim
      // holds through lease_until, so it can be taken 1 ms later.
      nextFree: db
        .prepare(
          `SELECT next_attempt_at FROM deliveries INDEXED BY deliveries_free
           WHERE state = 'pending' AND claim_id IS NULL ORDER BY next_attempt_at LIMIT 1`,
        )
        .pluck(),
      // Two ranges of the owners' index around this relay's own claims, which it leaves out.
      nextLeaseEnd: db
        .prepare(
          `SELECT MIN(due) FROM (
             SELECT MAX(next_attempt_at, lease_until + 1) AS due FROM deliveries INDEXED BY deliveries_owners
             WHERE claim_id IS NOT NULL AND claimed_by < :owner AND state = 'pending'
             UNION ALL
             SELECT MAX(next_attempt_at, lease_until + 1) FROM deliveries INDEXED BY deliveries_owners
             WHERE claim_id IS NOT NULL AND claimed_by > :owner AND state = 'pending')`,
        )
        .pluck(),
      counts: db.prepare(
        "SELECT state, COUNT(*) AS n FROM deliveries WHERE state IN ('pending', 'dead') GROUP BY state",
      ),
      listDead: db.prepare("SELECT * FROM deliveries WHERE state = 'dead' ORDER BY id LIMIT ?"),
      removeDead: db.prepare("DELETE FROM deliveries WHERE id = ? AND state = 'dead'"),
      prune: db.prepare(
        `DELETE FROM deliveries WHERE id IN (
           SELECT id FROM deliveries WHERE state IN ('delivered', 'ignored') AND settled_at < ? LIMIT ?)`,
      ),
    };
  }

  add(d: NewDelivery, lease: Lease): Promise<AddResult> {
    return this.inserts.run((): AddResult => {
      const hook = d.hookId ?? "";
      const headers = JSON.stringify(d.headers);
      // The lease runs from reception, on the caller's clock.
      const claim = [randomUUID(), lease.owner, d.receivedAt + lease.ms] as const;
      const signature = [d.signature?.value ?? null, d.signature?.secret ?? null] as const;
      if (d.deliveryId !== undefined) {
        const found = this.stmts.findKey.get(d.receiverUuid, d.deliveryId, hook, hook) as
          | { id: number; state: string }
          | undefined;
        if (found?.state === "dead") {
          // The code host sent it again (an operator fixed the cause and redelivered): the bytes
          // just verified replace the old ones, and the retry window starts again.
          const t = d.receivedAt;
          this.stmts.revive.run(
            d.event,
            hook,
            headers,
            blob(d.body),
            t,
            t,
            t,
            ...claim,
            ...signature,
            found.id,
          );
          return { id: found.id, duplicate: false, revived: true, claimId: claim[0] };
        }
        if (found) return { id: found.id, duplicate: true, revived: false };
        if (this.legacyKeys?.seen.get(d.receiverUuid, d.deliveryId) !== undefined)
          return { id: 0, duplicate: true, revived: false };
      }
      const info = this.stmts.insert.run(
        d.receiverUuid,
        d.kind,
        d.event,
        d.deliveryId ?? null,
        hook,
        headers,
        blob(d.body),
        d.receivedAt,
        d.receivedAt,
        d.receivedAt,
        ...claim,
        ...signature,
      );
      return { id: Number(info.lastInsertRowid), duplicate: false, revived: false, claimId: claim[0] };
    });
  }

  claim(now: number, limit: number, lease: Lease): Promise<ClaimedDelivery[]> {
    return this.settlements.run(() =>
      (this.stmts.claimable.all({ now, limit }) as number[]).map((id): ClaimedDelivery => {
        const claimId = randomUUID();
        const row = this.stmts.take.get(claimId, lease.owner, now + lease.ms, id) as Row;
        return { ...toDelivery(row), claimId };
      }),
    );
  }

  heartbeat(claims: readonly ClaimRef[], now: number, lease: Lease): Promise<ClaimRef[]> {
    return this.settlements.run(() =>
      claims.filter((c) => this.stmts.renew.run(now + lease.ms, c.id, c.claimId).changes === 0),
    );
  }

  async release(claims: readonly ClaimRef[]): Promise<void> {
    await this.settlements.run(() => {
      for (const c of claims) this.stmts.release.run(c.id, c.claimId);
    });
  }

  complete(
    claim: ClaimRef,
    outcome: "delivered" | "ignored",
    result: AttemptResult,
    now: number,
  ): Promise<boolean> {
    return this.settlements.run(
      () =>
        this.stmts.complete.run(
          outcome,
          result.status ?? null,
          result.error ?? null,
          now,
          now,
          claim.id,
          claim.claimId,
        ).changes === 1,
    );
  }

  retryLater(claim: ClaimRef, at: number, result: AttemptResult, now: number): Promise<boolean> {
    return this.settlements.run(
      () =>
        this.stmts.retry.run(at, result.status ?? null, result.error ?? null, now, claim.id, claim.claimId)
          .changes === 1,
    );
  }

  deadLetter(claim: ClaimRef, reason: string, result: AttemptResult, now: number): Promise<boolean> {
    return this.settlements.run(
      () =>
        this.stmts.dead.run(
          result.status ?? null,
          result.error ?? null,
          now,
          reason,
          now,
          now,
          claim.id,
          claim.claimId,
        ).changes === 1,
    );
  }

  sweep(now: number): Promise<number> {
    return this.settlements.run(() => this.stmts.sweep.run(now).changes);
  }

  async nextDueAt(owner: string): Promise<number | undefined> {
    const free = this.stmts.nextFree.get() as number | undefined;
    const leaseEnd = this.stmts.nextLeaseEnd.get({ owner }) as number | null;
    const times = [free, leaseEnd ?? undefined].filter((t) => t !== undefined);
    return times.length > 0 ? Math.min(...times) : undefined;
  }

  async counts(): Promise<{ pending: number; dead: number }> {
    const out = { pending: 0, dead: 0 };
    for (const r of this.stmts.counts.all() as Array<{ state: "pending" | "dead"; n: number }>)
      out[r.state] = r.n;
    return out;
  }

  async listDead(limit = 1000): Promise<DeadDelivery[]> {
    return (this.stmts.listDead.all(limit) as Row[]).map(toDead);
  }

  async records(filter: RecordFilter, limit: number): Promise<DeliveryRecord[]> {
    if (!Number.isInteger(limit) || limit < 0) throw new Error(`records: limit ${limit} is not a count`);
    const where = recordsWhere(filter);
    const rows = this.db
      .prepare(
        `SELECT id, receiver_uuid, kind, event, delivery_id, hook_id, state, attempts, last_status, last_error,
           last_attempt_at, received_at, settled_at, dead_reason
         FROM deliveries${where.sql} ORDER BY received_at DESC, id DESC LIMIT ?`,
      )
      .all(...where.params, limit) as RecordRow[];
    return rows.map(toRecord);
  }

  async replay(filter: DeadFilter, now: number, retarget?: Retarget): Promise<number> {
    const where = deadWhere(filter);
    // The key moves with a retargeted delivery: the new receiver's code host redelivering it while
    // it is queued is a duplicate. A dead row holds no claim: it comes back free.
    const update = this.db.prepare(
      `UPDATE deliveries SET state = 'pending', attempts = 0, window_start = ?, next_attempt_at = ?,
         dead_reason = NULL, dead_at = NULL, settled_at = NULL, receiver_uuid = COALESCE(?, receiver_uuid), ${FREE}
       WHERE state = 'dead'${where.sql}${retarget ? " AND kind = ?" : ""}`,
    );
    return update.run(
      now,
      now,
      retarget?.receiverUuid ?? null,
      ...where.params,
      ...(retarget ? [retarget.kind] : []),
    ).changes;
  }

  async purgeDead(filter: DeadFilter, dryRun: boolean): Promise<DeadSummary[]> {
    const where = deadWhere(filter);
    const select = this.db.prepare(
      `SELECT id, receiver_uuid, kind, event, delivery_id, dead_reason, dead_at, length(body) AS bytes
       FROM deliveries WHERE state = 'dead'${where.sql} ORDER BY id`,
    );
    // Removing the row forgets its key: the code host's redelivery is taken as new.
    const purge = this.db.transaction(() => {
      const rows = select.all(...where.params) as SummaryRow[];
      if (!dryRun) for (const r of rows) this.stmts.removeDead.run(r.id);
      return rows.map(toSummary);
    });
    // IMMEDIATE: read and delete under one write lock, even with the relay settling beside it.
    return purge.immediate();
  }

  async prune(before: number): Promise<void> {
    // In slices, letting the event loop turn between them: an hour of records deleted in one
    // statement would hold up the deliveries waiting to be stored behind it.
    while (this.stmts.prune.run(before, PRUNE_SLICE).changes === PRUNE_SLICE) {
      await new Promise((resolve) => setImmediate(resolve));
    }
    if (this.legacyKeys) {
      this.legacyKeys.prune.run(before);
      if (this.db.prepare("SELECT 1 FROM seen LIMIT 1").get() === undefined) {
        // Every key schema 1 recorded is past the window: the table has nothing left to say.
        this.legacyKeys = undefined;
        this.db.exec("DROP TABLE seen");
      }
    }
  }

  async close(): Promise<void> {
    this.inserts.flush();
    this.settlements.flush();
    if (this.settle.open) this.settle.close();
    if (this.db.open) this.db.close();
  }
}
