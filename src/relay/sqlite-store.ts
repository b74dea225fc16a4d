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

import { join } from "node:path";
import Database from "better-sqlite3";
import type { CodeHostKind } from "../ingest";
import { createPrivateFile, DATABASE_FILE, prepareDataDir } from "./data-dir";
import type {
  AttemptResult,
  DeadDelivery,
  DeadFilter,
  DeadSummary,
  DeliveryStore,
  NewDelivery,
  Retarget,
  StoredDelivery,
} from "./store";
import { TickBatch } from "./tick-batch";

const SCHEMA_VERSION = 1;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS deliveries (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  receiver_uuid TEXT NOT NULL,
  kind TEXT NOT NULL,
  event TEXT NOT NULL,
  delivery_id TEXT,
  headers TEXT NOT NULL,
  body BLOB NOT NULL,
  received_at INTEGER NOT NULL,
  window_start INTEGER NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('pending', 'dead')),
  last_status INTEGER,
  last_error TEXT,
  dead_reason TEXT,
  dead_at INTEGER
);
CREATE INDEX IF NOT EXISTS deliveries_due ON deliveries (state, next_attempt_at, id);
CREATE TABLE IF NOT EXISTS seen (
  receiver_uuid TEXT NOT NULL,
  delivery_id TEXT NOT NULL,
  seen_at INTEGER NOT NULL,
  PRIMARY KEY (receiver_uuid, delivery_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS seen_at ON seen (seen_at);
`;

interface Row {
  id: number;
  receiver_uuid: string;
  kind: string;
  event: string;
  delivery_id: string | null;
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

/** The condition a filter adds to `state = 'dead'`, and its parameters. */
function deadWhere(filter: DeadFilter): { sql: string; params: unknown[] } {
  if (filter === "all") return { sql: "", params: [] };
  if ("ids" in filter)
    return { sql: " AND id IN (SELECT value FROM json_each(?))", params: [JSON.stringify(filter.ids)] };
  if ("receiverUuid" in filter) return { sql: " AND receiver_uuid = ?", params: [filter.receiverUuid] };
  return { sql: " AND dead_at < ?", params: [filter.deadBefore] };
}

export class SqliteStore implements DeliveryStore {
  private readonly db: Database.Database;
  private readonly settle: Database.Database;
  private readonly inserts: TickBatch;
  private readonly settlements: TickBatch;
  private readonly stmts;

  /** Opens (or creates) the store in `dataDir`. */
  constructor(dataDir: string) {
    prepareDataDir(dataDir);
    // Created owner-only before SQLite opens it: SQLite gives its WAL and shared-memory files the
    // database file's mode, and would otherwise create all three readable by everyone.
    createPrivateFile(dataDir, DATABASE_FILE);
    this.db = new Database(join(dataDir, DATABASE_FILE), { timeout: 5000 });
    this.db.pragma("journal_mode = WAL");
    this.db.pragma("synchronous = FULL");
    this.db.pragma("foreign_keys = ON");
    const version = this.db.pragma("user_version", { simple: true }) as number;
    if (version > SCHEMA_VERSION) {
      throw new Error(
        `${join(dataDir, DATABASE_FILE)} was written by a newer relay (schema ${version}); upgrade sg-webhooks`,
      );
    }
    this.db.exec(SCHEMA);
    this.db.pragma(`user_version = ${SCHEMA_VERSION}`);
    this.settle = new Database(join(dataDir, DATABASE_FILE), { timeout: 5000 });
    this.settle.pragma("synchronous = NORMAL");
    this.inserts = new TickBatch(this.db);
    this.settlements = new TickBatch(this.settle);
    const settle = this.settle;
    const db = this.db;
    this.stmts = {
      seen: db.prepare("INSERT OR IGNORE INTO seen (receiver_uuid, delivery_id, seen_at) VALUES (?, ?, ?)"),
      insert: db.prepare(
        `INSERT INTO deliveries (receiver_uuid, kind, event, delivery_id, headers, body, received_at, window_start, next_attempt_at, state)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending')`,
      ),
      // Ids first (from the index alone), then whole rows: bodies are read only for what is taken.
      dueIds: db
        .prepare(
          "SELECT id FROM deliveries WHERE state = 'pending' AND next_attempt_at <= ? ORDER BY next_attempt_at, id LIMIT ?",
        )
        .pluck(),
      byId: db.prepare("SELECT * FROM deliveries WHERE id = ? AND state = 'pending'"),
      complete: settle.prepare("DELETE FROM deliveries WHERE id = ?"),
      retry: settle.prepare(
        "UPDATE deliveries SET attempts = attempts + 1, next_attempt_at = ?, last_status = ?, last_error = ? WHERE id = ?",
      ),
      dead: settle.prepare(
        "UPDATE deliveries SET state = 'dead', attempts = attempts + 1, last_status = ?, last_error = ?, dead_reason = ?, dead_at = ? WHERE id = ?",
      ),
      nextDue: db.prepare(
        "SELECT MIN(next_attempt_at) AS at FROM deliveries WHERE state = 'pending' AND id NOT IN (SELECT value FROM json_each(?))",
      ),
      counts: db.prepare("SELECT state, COUNT(*) AS n FROM deliveries GROUP BY state"),
      listDead: db.prepare("SELECT * FROM deliveries WHERE state = 'dead' ORDER BY id LIMIT ?"),
      removeDead: db.prepare("DELETE FROM deliveries WHERE id = ? AND state = 'dead'"),
      forget: db.prepare("DELETE FROM seen WHERE receiver_uuid = ? AND delivery_id = ?"),
      prune: db.prepare("DELETE FROM seen WHERE seen_at < ?"),
    };
  }

  add(d: NewDelivery): Promise<{ id: number; duplicate: boolean }> {
    return this.inserts.run(() => {
      if (d.deliveryId !== undefined) {
        const fresh = this.stmts.seen.run(d.receiverUuid, d.deliveryId, d.receivedAt).changes > 0;
        if (!fresh) return { id: 0, duplicate: true };
      }
      const info = this.stmts.insert.run(
        d.receiverUuid,
        d.kind,
        d.event,
        d.deliveryId ?? null,
        JSON.stringify(d.headers),
        Buffer.from(d.body.buffer, d.body.byteOffset, d.body.byteLength),
        d.receivedAt,
        d.receivedAt,
        d.receivedAt,
      );
      return { id: Number(info.lastInsertRowid), duplicate: false };
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

  async complete(id: number): Promise<void> {
    await this.settlements.run(() => this.stmts.complete.run(id));
  }

  async retryLater(id: number, at: number, result: AttemptResult): Promise<void> {
    await this.settlements.run(() =>
      this.stmts.retry.run(at, result.status ?? null, result.error ?? null, id),
    );
  }

  async deadLetter(id: number, reason: string, result: AttemptResult, now: number): Promise<void> {
    await this.settlements.run(() =>
      this.stmts.dead.run(result.status ?? null, result.error ?? null, reason, now, id),
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

  async replay(filter: DeadFilter, now: number, retarget?: Retarget): Promise<number> {
    const where = deadWhere(filter);
    const update = this.db
      .prepare(
        `UPDATE deliveries SET state = 'pending', attempts = 0, window_start = ?, next_attempt_at = ?,
           dead_reason = NULL, dead_at = NULL, receiver_uuid = COALESCE(?, receiver_uuid)
         WHERE state = 'dead'${where.sql}${retarget ? " AND kind = ?" : ""} RETURNING delivery_id`,
      )
      .pluck();
    return this.db.transaction(() => {
      const deliveryIds = update.all(
        now,
        now,
        retarget?.receiverUuid ?? null,
        ...where.params,
        ...(retarget ? [retarget.kind] : []),
      ) as Array<string | null>;
      // Now the new receiver's: its code host's redelivery of the same delivery is a duplicate.
      if (retarget) {
        for (const id of deliveryIds) if (id !== null) this.stmts.seen.run(retarget.receiverUuid, id, now);
      }
      return deliveryIds.length;
    })();
  }

  async purgeDead(filter: DeadFilter, dryRun: boolean): Promise<DeadSummary[]> {
    const where = deadWhere(filter);
    const select = this.db.prepare(
      `SELECT id, receiver_uuid, kind, event, delivery_id, dead_reason, dead_at, length(body) AS bytes
       FROM deliveries WHERE state = 'dead'${where.sql} ORDER BY id`,
    );
    return this.db.transaction(() => {
      const rows = select.all(...where.params) as SummaryRow[];
      if (!dryRun) {
        for (const r of rows) this.stmts.removeDead.run(r.id);
        this.forgetUnused(rows);
      }
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
    })();
  }

  /**
   * Forgets the delivery IDs of removed rows, so that the code host's redelivery is taken as new,
   * except those another stored delivery still has (found in one pass: delivery_id has no index).
   */
  private forgetUnused(removed: readonly SummaryRow[]): void {
    const keyed = removed.filter((r) => r.delivery_id !== null);
    if (keyed.length === 0) return;
    const key = (receiver: string, id: string) => JSON.stringify([receiver, id]);
    const inUse = new Set(
      (
        this.db
          .prepare(
            "SELECT DISTINCT receiver_uuid, delivery_id FROM deliveries WHERE delivery_id IN (SELECT value FROM json_each(?))",
          )
          .all(JSON.stringify(keyed.map((r) => r.delivery_id))) as Array<{
          receiver_uuid: string;
          delivery_id: string;
        }>
      ).map((r) => key(r.receiver_uuid, r.delivery_id)),
    );
    for (const r of keyed) {
      if (!inUse.has(key(r.receiver_uuid, r.delivery_id!)))
        this.stmts.forget.run(r.receiver_uuid, r.delivery_id);
    }
  }

  async prune(before: number): Promise<void> {
    this.stmts.prune.run(before);
  }

  async close(): Promise<void> {
    this.inserts.flush();
    this.settlements.flush();
    if (this.settle.open) this.settle.close();
    if (this.db.open) this.db.close();
  }
}
