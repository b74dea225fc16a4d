// Moving a relay from SQLite to PostgreSQL without losing anything: the pending deliveries (free,
// with their attempts, retry window and next attempt), the dead letters, and the settled records
// still in the data directory (their keys keep dropping redeliveries for the dedupe window) are
// copied from relay.db into the database, bodies and headers byte for byte. The data directory is
// locked while it runs, so no relay takes deliveries from it meanwhile. Running it again copies
// nothing twice: each source row is recorded in the database as it is handled (import-rows.ts).
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import Database from "better-sqlite3";
import { DATABASE_FILE } from "../data-dir";
import { lockDataDir } from "../lock";
import { SqliteStore } from "../sqlite-store";
import type { ImportCounts, ImportRow } from "./import-rows";
import { openPostgresStore, type PostgresStoreOptions } from "./open";
import type { PostgresStore } from "./store";

export type CopyOptions = {
  /** The SQLite relay's `--data-dir`. Its relay is stopped: the copy locks the directory. */
  readonly dataDir: string;
  /** Counts what would be copied, copying nothing. */
  readonly dryRun?: boolean;
  /** Records settled before this time (ms since the epoch) are left out: past the window they drop nothing. */
  readonly settledSince?: number;
} & (
  | { readonly store: PostgresStore }
  /** Opens (and migrates) the database for the copy, and closes it after. */
  | { readonly database: PostgresStoreOptions }
);

export interface CopyReport {
  readonly dryRun: boolean;
  /** The relay.db read. */
  readonly source: string;
  /** The database, without its password, and the schema. */
  readonly target: string;
  /** Rows read from relay.db, by kind. */
  readonly read: { readonly pending: number; readonly dead: number; readonly records: number };
  /** Rows copied now (with dryRun: that would be). */
  readonly copied: { readonly pending: number; readonly dead: number; readonly records: number };
  /** Rows an earlier run copied already. */
  readonly alreadyCopied: number;
  /** Rows not copied because the database holds a delivery with the same key already. */
  readonly keyTaken: number;
  /** Delivery IDs schema 1 kept without their deliveries (a store upgraded from release 0.1.0): not copied. */
  readonly legacyKeys: number;
}

interface SourceRow {
  id: number;
  receiver_uuid: string;
  kind: string;
  event: string;
  delivery_id: string | null;
  hook_id: string;
  headers: string | null;
  body: Buffer | null;
  received_at: number;
  window_start: number;
  attempts: number;
  next_attempt_at: number;
  state: "pending" | "delivered" | "ignored" | "dead";
  last_status: number | null;
  last_error: string | null;
  last_attempt_at: number | null;
  dead_reason: string | null;
  dead_at: number | null;
  settled_at: number | null;
}

/** Bytes of bodies read from relay.db and sent to the database at a time. */
const CHUNK_BYTES = 8 * 1024 * 1024;
const CHUNK_ROWS = 500;

/**
 * Names a source row, the same on every run: relay.db's ids are never reused (AUTOINCREMENT, kept
 * across its migrations), and its reception time and receiver tell two data directories apart.
 */
const sourceOf = (r: SourceRow) => `sqlite:${r.receiver_uuid}:${r.id}:${r.received_at}`;

function toImport(r: SourceRow): ImportRow {
  return {
    source: sourceOf(r),
    receiverUuid: r.receiver_uuid,
    kind: r.kind,
    event: r.event,
    deliveryId: r.delivery_id,
    hookId: r.hook_id,
    headers: r.headers,
    body: r.body,
    receivedAt: r.received_at,
    windowStart: r.window_start,
    attempts: r.attempts,
    nextAttemptAt: r.next_attempt_at,
    state: r.state,
    lastStatus: r.last_status,
    lastError: r.last_error,
    lastAttemptAt: r.last_attempt_at,
    deadReason: r.dead_reason,
    deadAt: r.dead_at,
    settledAt: r.settled_at,
  };
}

/** Copies a SQLite data directory's deliveries and records into PostgreSQL (see the file's head). */
export async function copySqliteToPostgres(options: CopyOptions): Promise<CopyReport> {
  const dir = options.dataDir;
  const file = join(resolve(dir), DATABASE_FILE);
  if (!existsSync(file)) {
    throw new Error(`${dir} holds no ${DATABASE_FILE}: give the --data-dir of the SQLite relay to copy from`);
  }
  const unlock = lockDataDir(dir);
  let opened: PostgresStore | undefined;
  let sqlite: Database.Database | undefined;
  try {
    // Opened once through the store so that an older relay.db is migrated first.
    await new SqliteStore(dir).close();
    sqlite = new Database(file, { readonly: true, fileMustExist: true });
    let store: PostgresStore;
    if ("store" in options) store = options.store;
    else store = opened = await openPostgresStore(options.database);
    return await copyRows(sqlite, store, file, options);
  } finally {
    sqlite?.close();
    await opened?.close();
    unlock();
  }
}

async function copyRows(
  sqlite: Database.Database,
  store: PostgresStore,
  file: string,
  options: CopyOptions,
): Promise<CopyReport> {
  const dryRun = options.dryRun ?? false;
  const since = options.settledSince ?? Number.NEGATIVE_INFINITY;
  // Settled records first, then pending, then dead: where two rows share a key (possible in a store
  // upgraded from schema 1), the one the SQLite relay counted (the row that is not dead) wins.
  const plan = sqlite
    .prepare(
      `SELECT id, state, settled_at, coalesce(length(body), 0) AS bytes FROM deliveries
       ORDER BY CASE state WHEN 'dead' THEN 2 WHEN 'pending' THEN 1 ELSE 0 END, id`,
    )
    .all() as Array<{ id: number; state: SourceRow["state"]; settled_at: number | null; bytes: number }>;
  const wanted = plan.filter(
    (r) => r.state === "pending" || r.state === "dead" || (r.settled_at ?? 0) >= since,
  );
  const byId = sqlite.prepare("SELECT * FROM deliveries WHERE id IN (SELECT value FROM json_each(?))");
  const read = { pending: 0, dead: 0, records: 0 };
  const copied = { pending: 0, dead: 0, records: 0 };
  let alreadyCopied = 0;
  let keyTaken = 0;
  const send = async (ids: number[]) => {
    const order = new Map(ids.map((id, i) => [id, i]));
    const rows = (byId.all(JSON.stringify(ids)) as SourceRow[]).sort(
      (a, b) => order.get(a.id)! - order.get(b.id)!,
    );
    for (const r of rows) read[r.state === "pending" || r.state === "dead" ? r.state : "records"]++;
    const counts: ImportCounts = await store.importRows(rows.map(toImport), dryRun);
    copied.pending += counts.pending;
    copied.dead += counts.dead;
    copied.records += counts.records;
    alreadyCopied += counts.alreadyCopied;
    keyTaken += counts.keyTaken;
  };
  let chunk: number[] = [];
  let bytes = 0;
  for (const r of wanted) {
    if (chunk.length > 0 && (chunk.length >= CHUNK_ROWS || bytes + r.bytes > CHUNK_BYTES)) {
      await send(chunk);
      chunk = [];
      bytes = 0;
    }
    chunk.push(r.id);
    bytes += r.bytes;
  }
  if (chunk.length > 0) await send(chunk);
  const hasSeen = sqlite.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'seen'").get();
  const legacyKeys = hasSeen
    ? (sqlite.prepare("SELECT count(*) AS n FROM seen").get() as { n: number }).n
    : 0;
  return {
    dryRun,
    source: file,
    target: `${store.target} (schema ${store.schema})`,
    read,
    copied,
    alreadyCopied,
    keyTaken,
    legacyKeys,
  };
}
