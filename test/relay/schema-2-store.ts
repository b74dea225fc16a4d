// Writes a relay.db as the relay left it before claims (schema 2): its DDL and the statements its
// store ran, copied verbatim from src/relay/sqlite-store.ts and sqlite-schema.ts before schema 3,
// so the migration is tested on the files operators have rather than on what the new code thinks
// they hold.
import { join } from "node:path";
import Database from "better-sqlite3";
import { DATABASE_FILE } from "../../src/relay";

const SCHEMA_2 = `
CREATE TABLE deliveries (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  receiver_uuid TEXT NOT NULL,
  kind TEXT NOT NULL,
  event TEXT NOT NULL,
  delivery_id TEXT,
  hook_id TEXT NOT NULL DEFAULT '',
  headers TEXT,
  body BLOB,
  received_at INTEGER NOT NULL,
  window_start INTEGER NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('pending', 'delivered', 'ignored', 'dead')),
  last_status INTEGER,
  last_error TEXT,
  last_attempt_at INTEGER,
  dead_reason TEXT,
  dead_at INTEGER,
  settled_at INTEGER,
  CHECK ((body IS NULL) = (state IN ('delivered', 'ignored')) AND (headers IS NULL) = (body IS NULL))
);
CREATE INDEX deliveries_due ON deliveries (state, next_attempt_at, id);
CREATE INDEX deliveries_key ON deliveries (receiver_uuid, delivery_id) WHERE delivery_id IS NOT NULL;
CREATE INDEX deliveries_settled ON deliveries (state, settled_at);
CREATE INDEX deliveries_received ON deliveries (received_at);
`;

export interface Schema2Delivery {
  readonly receiverUuid: string;
  readonly kind: "GITHUB" | "GITLAB" | "BITBUCKETSERVER" | "BITBUCKETCLOUD";
  readonly event: string;
  readonly deliveryId?: string;
  readonly hookId?: string;
  readonly headers: Record<string, string>;
  readonly body: Buffer;
  readonly receivedAt: number;
  /** What became of it: still queued (after `retries` failed attempts), dead-lettered, or settled at `at`. */
  readonly fate:
    | { readonly state: "pending"; readonly retries?: number }
    | { readonly state: "dead"; readonly reason: string; readonly status?: number; readonly at: number }
    | { readonly state: "delivered" | "ignored"; readonly status: number; readonly at: number };
}

/** Creates `dir/relay.db` holding `deliveries` as schema 2 stored them; returns their ids in order. */
export function writeSchema2Store(dir: string, deliveries: readonly Schema2Delivery[]): number[] {
  const db = new Database(join(dir, DATABASE_FILE));
  db.pragma("journal_mode = WAL");
  db.exec(SCHEMA_2);
  db.pragma("user_version = 2");
  const insert = db.prepare(
    `INSERT INTO deliveries (receiver_uuid, kind, event, delivery_id, hook_id, headers, body, received_at, window_start, next_attempt_at, state)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending')`,
  );
  const retry = db.prepare(
    `UPDATE deliveries SET attempts = attempts + 1, next_attempt_at = ?, last_status = ?, last_error = ?,
           last_attempt_at = ?
         WHERE id = ? AND state = 'pending'`,
  );
  const dead = db.prepare(
    `UPDATE deliveries SET state = 'dead', attempts = attempts + 1, last_status = ?, last_error = ?,
           last_attempt_at = ?, dead_reason = ?, dead_at = ?, settled_at = ?
         WHERE id = ? AND state = 'pending'`,
  );
  const complete = db.prepare(
    `UPDATE deliveries SET state = ?, attempts = attempts + 1, last_status = ?, last_error = ?,
           last_attempt_at = ?, settled_at = ?, headers = NULL, body = NULL
         WHERE id = ? AND state = 'pending'`,
  );
  const ids: number[] = [];
  for (const d of deliveries) {
    const t = d.receivedAt;
    const id = Number(
      insert.run(
        d.receiverUuid,
        d.kind,
        d.event,
        d.deliveryId ?? null,
        d.hookId ?? "",
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
      for (let i = 0; i < (fate.retries ?? 0); i++) {
        const at = t + 1000 * (i + 1);
        retry.run(at, 503, "service unavailable", at - 500, id);
      }
    } else if (fate.state === "dead") {
      const error = fate.status ? `status ${fate.status}` : "ECONNREFUSED";
      dead.run(fate.status ?? null, error, fate.at, fate.reason, fate.at, fate.at, id);
    } else {
      complete.run(fate.state, fate.status, null, fate.at, fate.at, id);
    }
  }
  db.close();
  return ids;
}
