// The relay's records, read without writing anything: from its data directory (SQLite opened
// read-only: no migration, no new file, beside a running relay, as WAL lets readers in), or from
// the relays' PostgreSQL database (opened read-only: never migrated, every transaction read-only).
// A store of another schema version is refused with what to upgrade, since its rows cannot be read
// as this version's.
import { existsSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { DATABASE_FILE } from "../relay/data-dir";
import { SCHEMA_VERSION } from "../relay/sqlite-schema";
import type { DeliveryRecord } from "../relay/store";
import { databaseOptions, openDatabase, type PostgresTarget } from "../relay/store-target";
import { UsageError } from "./inputs/usage-error";
import type { RelayRecord, RelayRecordFilter, RelayRecords, RelayState } from "./relay";

interface Row {
  receiver_uuid: string;
  kind: string;
  event: string;
  delivery_id: string | null;
  hook_id: string;
  state: "pending" | "delivered" | "ignored" | "dead";
  attempts: number;
  last_status: number | null;
  last_attempt_at: number | null;
  received_at: number;
  dead_reason: string | null;
}

function toRecord(r: Row): RelayRecord {
  const state: RelayState = r.state === "dead" && r.dead_reason === "expired" ? "expired" : r.state;
  return {
    receiverUuid: r.receiver_uuid,
    kind: r.kind,
    event: r.event,
    ...(r.delivery_id !== null ? { deliveryId: r.delivery_id } : {}),
    ...(r.hook_id !== "" ? { hookId: r.hook_id } : {}),
    state,
    attempts: r.attempts,
    ...(r.last_status !== null ? { lastStatus: r.last_status } : {}),
    ...(r.last_attempt_at !== null ? { lastAttemptAt: r.last_attempt_at } : {}),
    receivedAt: r.received_at,
    ...(r.state === "dead" && r.dead_reason !== null ? { reason: r.dead_reason } : {}),
  };
}

/** Opens the relay's store in `dataDir` for reading. Throws UsageError when there is none to read. */
export function openRelayRecords(dataDir: string): RelayRecords {
  const file = join(dataDir, DATABASE_FILE);
  if (!existsSync(file)) {
    throw new UsageError(
      `no relay store in ${dataDir} (${DATABASE_FILE} is missing); pass the --data-dir of the relay's sg-webhooks serve as --relay-data-dir`,
    );
  }
  let db: Database.Database;
  try {
    db = new Database(file, { readonly: true, fileMustExist: true, timeout: 5000 });
  } catch (err) {
    throw new UsageError(`cannot open ${file} for reading (${(err as Error).message})`);
  }
  const version = db.pragma("user_version", { simple: true }) as number;
  if (version !== SCHEMA_VERSION) {
    db.close();
    throw new UsageError(
      version > SCHEMA_VERSION
        ? `${file} was written by a newer relay (schema ${version}); upgrade sg-webhooks`
        : `${file} has the relay's schema ${version}; start the relay of this version once (it migrates the store in place), then run again`,
    );
  }
  const select = db.prepare(
    `SELECT receiver_uuid, kind, event, delivery_id, hook_id, state, attempts, last_status, last_attempt_at,
       received_at, dead_reason
     FROM deliveries
     WHERE (@receiver IS NULL OR receiver_uuid = @receiver)
       AND (@delivery IS NULL OR delivery_id = @delivery)
       AND (@since IS NULL OR received_at >= @since)
     ORDER BY received_at DESC, id DESC`,
  );
  return {
    async records(filter: RelayRecordFilter, limit: number): Promise<RelayRecord[]> {
      const out: RelayRecord[] = [];
      const rows = select.iterate({
        receiver: filter.receiverUuid ?? null,
        delivery: filter.deliveryId ?? null,
        since: filter.since ?? null,
      }) as IterableIterator<Row>;
      for (const row of rows) {
        const record = toRecord(row);
        if (filter.states && !filter.states.includes(record.state)) continue;
        out.push(record);
        if (out.length >= limit) break;
      }
      return out;
    },
    async close(): Promise<void> {
      db.close();
    },
  };
}

function fromStore(r: DeliveryRecord): RelayRecord {
  return {
    receiverUuid: r.receiverUuid,
    kind: r.kind,
    event: r.event,
    ...(r.deliveryId !== undefined ? { deliveryId: r.deliveryId } : {}),
    ...(r.hookId !== undefined ? { hookId: r.hookId } : {}),
    state: r.state,
    attempts: r.attempts,
    ...(r.lastStatus !== undefined ? { lastStatus: r.lastStatus } : {}),
    ...(r.lastAttemptAt !== undefined ? { lastAttemptAt: r.lastAttemptAt } : {}),
    receivedAt: r.receivedAt,
    ...((r.state === "dead" || r.state === "expired") && r.reason !== undefined ? { reason: r.reason } : {}),
  };
}

/**
 * Opens the relays' PostgreSQL store for reading. Throws UsageError (its message redacted of the
 * URL's password) when it cannot be read: unreachable, no relay tables, or tables of another version.
 */
export async function openDatabaseRecords(target: PostgresTarget): Promise<RelayRecords> {
  let store: Awaited<ReturnType<typeof openDatabase>>;
  try {
    store = await openDatabase(databaseOptions({ ...target, poolSize: 1 }), {
      applicationName: "sg-webhooks doctor",
      readOnly: true,
    });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  return {
    async records(filter: RelayRecordFilter, limit: number): Promise<RelayRecord[]> {
      return (await store.records(filter, limit)).map(fromStore);
    },
    close: () => store.close(),
  };
}
