// The embedded store: SQLite in the data directory through better-sqlite3.
//
// Durability: WAL with synchronous=FULL. A 202 tells the code host it may forget the delivery
// (GitHub never redelivers by itself), so a commit must survive a power loss, not only a process
// crash; with synchronous=NORMAL, WAL commits since the last checkpoint can vanish when the OS
// goes down. The fsync this costs is shared: concurrent inserts are grouped into one transaction.
// Settling a delivery (forwarded, retry later, dead) goes through a second connection with
// synchronous=NORMAL: losing such an update to a power cut only means forwarding a delivery again
// (at least once), and the next FULL commit flushes the shared WAL anyway. Settlements are grouped
// per turn of the event loop too: one small transaction instead of one per delivery.
//
// A settled delivery's row stays as its record (Sourcegraph's answer, without headers or body)
// until the dedupe window has passed, so its key still drops the code host's redelivery and
// `doctor` can tell what Sourcegraph said. The schema and its migrations are in sqlite-schema.ts.

import { join } from "node:path";
import Database from "better-sqlite3";
import type { CodeHostKind } from "../ingest";
import { createPrivateFile, DATABASE_FILE, prepareDataDir } from "./data-dir";
import { hasLegacyKeys, openSchema } from "./sqlite-schema";
import type {
  AddResult,
  AttemptResult,
  DeadDelivery,
  DeadFilter,
  DeadSummary,
  DeliveryRecord,
  DeliveryState,
  DeliveryStore,
  NewDelivery,
  RecordFilter,
  Retarget,
  StoredDelivery,
} from "./store";
import { TickBatch } from "./tick-batch";

/** A pending or dead row: those keep their headers and body. */
interface Row {
  id: number;
  receiver_uuid: string;
  kind: string;
  event: string;
  delivery_id: string | null;
  hook_id: string;
  headers: string;
  body: Buffer;
  received_at: number;
  window_start: number;
  attempts: number;
  last_status: number | null;
  last_error: string | null;
  dead_reason: string | null;
  dead_at: number | null;
}

function toDelivery(r: Row): StoredDelivery {
  return {
    id: r.id,
    receiverUuid: r.receiver_uuid,
    kind: r.kind as CodeHostKind,
    event: r.event,
    ...(r.delivery_id !== null ? { deliveryId: r.delivery_id } : {}),
    ...(r.hook_id !== "" ? { hookId: r.hook_id } : {}),
    headers: JSON.parse(r.headers),
    body: r.body,
    receivedAt: r.received_at,
    windowStart: r.window_start,
    attempts: r.attempts,
  };
}

export { DATABASE_FILE };

interface SummaryRow {
  id: number;
  receiver_uuid: string;
  kind: string;
  event: string;
  delivery_id: string | null;
  dead_reason: string | null;
  dead_at: number | null;
  bytes: number;
}

interface RecordRow {
  id: number;
  receiver_uuid: string;
  kind: string;
  event: string;
  delivery_id: string | null;
  hook_id: string;
  state: "pending" | "delivered" | "ignored" | "dead";
  attempts: number;
  last_status: number | null;
  last_error: string | null;
  last_attempt_at: number | null;
  received_at: number;
  settled_at: number | null;
  dead_reason: string | null;
}

/** Each state a record can be in, as a condition on its row. */
const STATE_WHERE: Readonly<Record<DeliveryState, string>> = {
  pending: "state = 'pending'",
  delivered: "state = 'delivered'",
  ignored: "state = 'ignored'",
  dead: "(state = 'dead' AND dead_reason IS NOT 'expired')",
  expired: "(state = 'dead' AND dead_reason = 'expired')",
};

function toRecord(r: RecordRow): DeliveryRecord {
  return {
    id: r.id,
    receiverUuid: r.receiver_uuid,
    kind: r.kind as CodeHostKind,
    event: r.event,
    ...(r.delivery_id !== null ? { deliveryId: r.delivery_id } : {}),
    ...(r.hook_id !== "" ? { hookId: r.hook_id } : {}),
    state: r.state === "dead" && r.dead_reason === "expired" ? "expired" : r.state,
    attempts: r.attempts,
    ...(r.last_status !== null ? { lastStatus: r.last_status } : {}),
    ...(r.last_error !== null ? { lastError: r.last_error } : {}),
    ...(r.last_attempt_at !== null ? { lastAttemptAt: r.last_attempt_at } : {}),
    receivedAt: r.received_at,
    ...(r.settled_at !== null ? { settledAt: r.settled_at } : {}),
    ...(r.state === "dead" && r.dead_reason !== null ? { reason: r.dead_reason } : {}),
  };
}

/** The conditions of a records filter, and their parameters. */
function recordsWhere(filter: RecordFilter): { sql: string; params: unknown[] } {
  const terms: string[] = [];
  const params: unknown[] = [];
  if (filter.receiverUuid !== undefined) {
    terms.push("receiver_uuid = ?");
    params.push(filter.receiverUuid);
  }
  if (filter.deliveryId !== undefined) {
    terms.push("delivery_id = ?");
    params.push(filter.deliveryId);
  }
  if (filter.since !== undefined) {
    terms.push("received_at >= ?");
    params.push(filter.since);
  }
  if (filter.states !== undefined) {
    const states = filter.states.map((state) => {
      const where = STATE_WHERE[state];
      if (where === undefined) {
        throw new Error(`unknown delivery state "${state}"; one of ${Object.keys(STATE_WHERE).join(", ")}`);
      }
      return where;
    });
    terms.push(states.length > 0 ? `(${states.join(" OR ")})` : "0");
  }
  return { sql: terms.length > 0 ? ` WHERE ${terms.join(" AND ")}` : "", params };
}

/** The condition a filter adds to `state = 'dead'`, and its parameters. */
function deadWhere(filter: DeadFilter): { sql: string; params: unknown[] } {
  if (filter === "all") return { sql: "", params: [] };
  if ("ids" in filter)
    return { sql: " AND id IN (SELECT value FROM json_each(?))", params: [JSON.stringify(filter.ids)] };
  if ("receiverUuid" in filter) return { sql: " AND receiver_uuid = ?", params: [filter.receiverUuid] };
  return { sql: " AND dead_at < ?", params: [filter.deadBefore] };
}

/** Records removed by one statement of `prune`. */
const PRUNE_SLICE = 2000;

const blob = (body: Uint8Array) => Buffer.from(body.buffer, body.byteOffset, body.byteLength);

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
    try {
      openSchema(this.db, join(dataDir, DATABASE_FILE));
    } catch (err) {
      this.db.close();
      throw err;
    }
    this.settle = new Database(join(dataDir, DATABASE_FILE), { timeout: 5000 });
    this.settle.pragma("synchronous = NORMAL");
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
        `INSERT INTO deliveries (receiver_uuid, kind, event, delivery_id, hook_id, headers, body, received_at, window_start, next_attempt_at, state)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending')`,
      ),
      revive: db.prepare(
        `UPDATE deliveries SET state = 'pending', event = ?, hook_id = COALESCE(NULLIF(?, ''), hook_id),
           headers = ?, body = ?, received_at = ?, window_start = ?, next_attempt_at = ?, attempts = 0,
           dead_reason = NULL, dead_at = NULL, settled_at = NULL
         WHERE id = ? AND state = 'dead'`,
      ),
      // Ids first (from the index alone), then whole rows: bodies are read only for what is taken.
      dueIds: db
        .prepare(
          "SELECT id FROM deliveries WHERE state = 'pending' AND next_attempt_at <= ? ORDER BY next_attempt_at, id LIMIT ?",
        )
        .pluck(),
      byId: db.prepare("SELECT * FROM deliveries WHERE id = ? AND state = 'pending'"),
      // The body goes (Sourcegraph has it); the record of its answer stays for the dedupe window.
      complete: settle.prepare(
        `UPDATE deliveries SET state = ?, attempts = attempts + 1, last_status = ?, last_error = ?,
           last_attempt_at = ?, settled_at = ?, headers = NULL, body = NULL
         WHERE id = ? AND state = 'pending'`,
      ),
      retry: settle.prepare(
        `UPDATE deliveries SET attempts = attempts + 1, next_attempt_at = ?, last_status = ?, last_error = ?,
           last_attempt_at = ?
         WHERE id = ? AND state = 'pending'`,
      ),
      dead: settle.prepare(
        `UPDATE deliveries SET state = 'dead', attempts = attempts + 1, last_status = ?, last_error = ?,
           last_attempt_at = ?, dead_reason = ?, dead_at = ?, settled_at = ?
         WHERE id = ? AND state = 'pending'`,
      ),
      nextDue: db.prepare(
        "SELECT MIN(next_attempt_at) AS at FROM deliveries WHERE state = 'pending' AND id NOT IN (SELECT value FROM json_each(?))",
      ),
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

  add(d: NewDelivery): Promise<AddResult> {
    return this.inserts.run((): AddResult => {
      const hook = d.hookId ?? "";
      const headers = JSON.stringify(d.headers);
      if (d.deliveryId !== undefined) {
        const found = this.stmts.findKey.get(d.receiverUuid, d.deliveryId, hook, hook) as
          | { id: number; state: string }
          | undefined;
        if (found?.state === "dead") {
          // The code host sent it again (an operator fixed the cause and redelivered): the bytes
          // just verified replace the old ones, and the retry window starts again.
          const t = d.receivedAt;
          this.stmts.revive.run(d.event, hook, headers, blob(d.body), t, t, t, found.id);
          return { id: found.id, duplicate: false, revived: true };
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
      );
      return { id: Number(info.lastInsertRowid), duplicate: false, revived: false };
    });
  }

  async due(now: number, limit: number, exclude: ReadonlySet<number>): Promise<StoredDelivery[]> {
    const ids = (this.stmts.dueIds.all(now, limit + exclude.size) as number[])
      .filter((id) => !exclude.has(id))
      .slice(0, limit);
    const rows: StoredDelivery[] = [];
    for (const id of ids) {
      const row = this.stmts.byId.get(id) as Row | undefined;
      if (row) rows.push(toDelivery(row));
    }
    return rows;
  }

  async complete(
    id: number,
    outcome: "delivered" | "ignored",
    result: AttemptResult,
    now: number,
  ): Promise<void> {
    await this.settlements.run(() =>
      this.stmts.complete.run(outcome, result.status ?? null, result.error ?? null, now, now, id),
    );
  }

  async retryLater(id: number, at: number, result: AttemptResult, now: number): Promise<void> {
    await this.settlements.run(() =>
      this.stmts.retry.run(at, result.status ?? null, result.error ?? null, now, id),
    );
  }

  async deadLetter(id: number, reason: string, result: AttemptResult, now: number): Promise<void> {
    await this.settlements.run(() =>
      this.stmts.dead.run(result.status ?? null, result.error ?? null, now, reason, now, now, id),
    );
  }

  async nextDueAt(exclude: ReadonlySet<number> = new Set()): Promise<number | undefined> {
    const row = this.stmts.nextDue.get(JSON.stringify([...exclude])) as { at: number | null };
    return row.at ?? undefined;
  }

  async counts(): Promise<{ pending: number; dead: number }> {
    const out = { pending: 0, dead: 0 };
    for (const r of this.stmts.counts.all() as Array<{ state: "pending" | "dead"; n: number }>)
      out[r.state] = r.n;
    return out;
  }

  async listDead(limit = 1000): Promise<DeadDelivery[]> {
    return (this.stmts.listDead.all(limit) as Row[]).map((r) => ({
      ...toDelivery(r),
      reason: r.dead_reason ?? "unknown",
      ...(r.last_status !== null ? { lastStatus: r.last_status } : {}),
      ...(r.last_error !== null ? { lastError: r.last_error } : {}),
      deadAt: r.dead_at ?? 0,
    }));
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
    // it is queued is a duplicate.
    const update = this.db.prepare(
      `UPDATE deliveries SET state = 'pending', attempts = 0, window_start = ?, next_attempt_at = ?,
         dead_reason = NULL, dead_at = NULL, settled_at = NULL, receiver_uuid = COALESCE(?, receiver_uuid)
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
      return rows.map(
        (r): DeadSummary => ({
          id: r.id,
          receiverUuid: r.receiver_uuid,
          kind: r.kind as CodeHostKind,
          event: r.event,
          ...(r.delivery_id !== null ? { deliveryId: r.delivery_id } : {}),
          reason: r.dead_reason ?? "unknown",
          deadAt: r.dead_at ?? 0,
          bytes: r.bytes,
        }),
      );
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
