// Writes a relay.db as release 0.1.0 left it (schema 1): its DDL and the statements its store ran,
// copied verbatim from src/relay/sqlite-store.ts before schema 2, so the migration is tested on
// the files operators have rather than on what the new code thinks they hold.
import { join } from "node:path";
import Database from "better-sqlite3";
import { DATABASE_FILE } from "../../src/relay";

const SCHEMA_1 = `
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

export interface Schema1Delivery {
  readonly receiverUuid: string;
  readonly kind: "GITHUB" | "GITLAB" | "BITBUCKETSERVER" | "BITBUCKETCLOUD";
  readonly event: string;
  readonly deliveryId?: string;
  readonly headers: Record<string, string>;
  readonly body: Buffer;
  readonly receivedAt: number;
  /** What became of it: still queued (after `retries` failed attempts), dead-lettered, or forwarded (deleted). */
  readonly fate:
    | { readonly state: "pending"; readonly retries?: number }
    | { readonly state: "dead"; readonly reason: string; readonly status?: number; readonly at: number }
    | { readonly state: "forwarded" };
}

/** Creates `dir/relay.db` holding `deliveries` as schema 1 stored them; returns their ids in order. */
export function writeSchema1Store(dir: string, deliveries: readonly Schema1Delivery[]): number[] {
  const db = new Database(join(dir, DATABASE_FILE));
  db.pragma("journal_mode = WAL");
  db.exec(SCHEMA_1);
  db.pragma("user_version = 1");
  const seen = db.prepare(
    "INSERT OR IGNORE INTO seen (receiver_uuid, delivery_id, seen_at) VALUES (?, ?, ?)",
  );
  const insert = db.prepare(
    `INSERT INTO deliveries (receiver_uuid, kind, event, delivery_id, headers, body, received_at, window_start, next_attempt_at, state)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending')`,
  );
  const retry = db.prepare(
    "UPDATE deliveries SET attempts = attempts + 1, next_attempt_at = ?, last_status = ?, last_error = ? WHERE id = ?",
  );
  const dead = db.prepare(
    "UPDATE deliveries SET state = 'dead', attempts = attempts + 1, last_status = ?, last_error = ?, dead_reason = ?, dead_at = ? WHERE id = ?",
  );
  const complete = db.prepare("DELETE FROM deliveries WHERE id = ?");
  const ids: number[] = [];
  for (const d of deliveries) {
    if (d.deliveryId !== undefined) seen.run(d.receiverUuid, d.deliveryId, d.receivedAt);
    const t = d.receivedAt;
    const id = Number(
      insert.run(
        d.receiverUuid,
        d.kind,
        d.event,
        d.deliveryId ?? null,
        JSON.stringify(d.headers),
        d.body,
        t,
        t,
        t,
      ).lastInsertRowid,
    );
    ids.push(id);
    const fate = d.fate;
    if (fate.state === "pending") {
      for (let i = 0; i < (fate.retries ?? 0); i++)
        retry.run(t + 1000 * (i + 1), 503, "service unavailable", id);
    } else if (fate.state === "dead") {
      dead.run(
        fate.status ?? null,
        fate.status ? `status ${fate.status}` : "ECONNREFUSED",
        fate.reason,
        fate.at,
        id,
      );
    } else {
      complete.run(id);
    }
  }
  db.close();
  return ids;
}
