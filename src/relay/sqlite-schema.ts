// The SQLite store's schema and its versioned migrations. A relay.db is migrated in place when it
// is opened (the queue is the operator's data: a new release must neither lose it nor ask them to
// drain it first); one written by a newer relay is refused, since this code cannot know its rows.
import type Database from "better-sqlite3";

export const SCHEMA_VERSION = 3;

/**
 * Schema 2's table (schema 3 adds the claim columns to it: TO_3). A delivery's row is its queue
 * entry while it is pending or dead, and its record once it is settled: delivered and ignored rows
 * lose their headers and body (the CHECK holds it), and are pruned after the dedupe window. The
 * dedupe key is the receiver, the delivery ID and the hook ID ('' when the code host names no
 * hook). Its index is not UNIQUE: a store migrated from schema 1 may hold two rows with one key
 * (schema 1 forgot keys after the window while a dead letter stayed), and the lookup runs inside
 * the writer's transaction anyway.
 */
const schema2Table = (name: string) => `
CREATE TABLE ${name} (
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
);`;

const INDEXES = `
CREATE INDEX deliveries_due ON deliveries (state, next_attempt_at, id);
CREATE INDEX deliveries_key ON deliveries (receiver_uuid, delivery_id) WHERE delivery_id IS NOT NULL;
CREATE INDEX deliveries_settled ON deliveries (state, settled_at);
CREATE INDEX deliveries_received ON deliveries (received_at);
`;

/**
 * Schema 1 → 2: the deliveries table is rebuilt (its state CHECK and NOT NULL body change), every
 * pending and dead row kept with its id, bytes and retry state, and the id sequence kept, so no
 * dead letter's id is ever given to another delivery. Schema 1 recorded no hook IDs, so its rows
 * get '' (which matches any hook, as schema 1 did). Schema 1's `seen` table stays for the keys of
 * deliveries it forwarded and deleted, until the dedupe window has passed over them; the keys of
 * rows kept are in the rows now.
 */
const TO_2 = `
CREATE TABLE IF NOT EXISTS seen (
  receiver_uuid TEXT NOT NULL,
  delivery_id TEXT NOT NULL,
  seen_at INTEGER NOT NULL,
  PRIMARY KEY (receiver_uuid, delivery_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS seen_at ON seen (seen_at);
${schema2Table("deliveries_v2")}
INSERT INTO deliveries_v2 (id, receiver_uuid, kind, event, delivery_id, hook_id, headers, body,
  received_at, window_start, attempts, next_attempt_at, state, last_status, last_error,
  last_attempt_at, dead_reason, dead_at, settled_at)
SELECT id, receiver_uuid, kind, event, delivery_id, '', headers, body,
  received_at, window_start, attempts, next_attempt_at, state, last_status, last_error,
  dead_at, dead_reason, dead_at, dead_at
FROM deliveries;
DELETE FROM sqlite_sequence WHERE name = 'deliveries_v2';
INSERT INTO sqlite_sequence (name, seq) SELECT 'deliveries_v2', seq FROM sqlite_sequence WHERE name = 'deliveries';
DROP TABLE deliveries;
ALTER TABLE deliveries_v2 RENAME TO deliveries;
${INDEXES}
DELETE FROM seen WHERE EXISTS (
  SELECT 1 FROM deliveries d WHERE d.receiver_uuid = seen.receiver_uuid AND d.delivery_id = seen.delivery_id
);
`;

/**
 * Schema 2 → 3: a pending row may be claimed by one relay until its lease ends (`claim_id`, the
 * relay's `claimed_by`, `lease_until` in ms since the epoch, the last moment the claim holds). The
 * columns are added in place: every row is kept as it is, free. Only a pending row is ever
 * claimed, and a claim has all three columns or none.
 *
 * The forwarder asks for free rows in due order and for other relays' leases on every round, while
 * most pending rows are its own claims: each question has an index that holds only the rows it is
 * about (free rows; claims by owner), where walking schema 2's `deliveries_due` stepped past every
 * claimed row, one table lookup each. `deliveries_due` goes: nothing else reads it, and every
 * insert and settlement wrote it.
 *
 * A pending row may also keep the code host's verified `sha256=` signature (`signature`) and a
 * fingerprint of the secret that made it (`signature_secret`, keyed per relay process; see
 * signature-reuse.ts), both or neither, dropped when the row is settled or dead-lettered.
 */
const TO_3 = `
ALTER TABLE deliveries ADD COLUMN claim_id TEXT;
ALTER TABLE deliveries ADD COLUMN claimed_by TEXT;
ALTER TABLE deliveries ADD COLUMN lease_until INTEGER CHECK (
  (claim_id IS NULL AND claimed_by IS NULL AND lease_until IS NULL)
  OR (claim_id IS NOT NULL AND claimed_by IS NOT NULL AND lease_until IS NOT NULL AND state = 'pending')
);
CREATE INDEX deliveries_leases ON deliveries (lease_until) WHERE claim_id IS NOT NULL;
CREATE INDEX deliveries_owners ON deliveries (claimed_by, lease_until) WHERE claim_id IS NOT NULL;
CREATE INDEX deliveries_free ON deliveries (next_attempt_at, id) WHERE state = 'pending' AND claim_id IS NULL;
DROP INDEX deliveries_due;
ALTER TABLE deliveries ADD COLUMN signature TEXT;
ALTER TABLE deliveries ADD COLUMN signature_secret TEXT CHECK (
  (signature IS NULL) = (signature_secret IS NULL) AND (signature IS NULL OR state = 'pending')
);
`;

/** The step that brings a store to each version from the one before. */
const STEPS: Readonly<Record<number, string>> = { 2: TO_2, 3: TO_3 };

const hasTable = (db: Database.Database, name: string): boolean =>
  db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(name) !== undefined;

/** Schema 1's table of delivery IDs, while a migrated store still has it. */
export const hasLegacyKeys = (db: Database.Database): boolean => hasTable(db, "seen");

/**
 * Brings the database to SCHEMA_VERSION: creates it when empty, migrates it step by step when
 * older, refuses it when newer. `file` names it in the error.
 */
export function openSchema(db: Database.Database, file: string): void {
  const read = () => db.pragma("user_version", { simple: true }) as number;
  const refuseNewer = (version: number) => {
    if (version > SCHEMA_VERSION) {
      throw new Error(`${file} was written by a newer relay (schema ${version}); upgrade sg-webhooks`);
    }
  };
  refuseNewer(read());
  if (read() === SCHEMA_VERSION) return;
  // IMMEDIATE: another process opening the same store (a `dlq` command beside the relay) waits
  // here, then finds the work done.
  db.transaction(() => {
    let version = read();
    refuseNewer(version);
    if (version === SCHEMA_VERSION) return;
    if (version === 0 && !hasTable(db, "deliveries")) {
      // A new store is created as schema 2 and migrated: one definition of each later step.
      db.exec(schema2Table("deliveries") + INDEXES);
      version = 2;
    }
    // Schema 1 set its version only after creating its tables: a crash in between left 0.
    version = Math.max(version, 1);
    for (let next = version + 1; next <= SCHEMA_VERSION; next++) db.exec(STEPS[next]!);
    db.pragma(`user_version = ${SCHEMA_VERSION}`);
  }).immediate();
}
