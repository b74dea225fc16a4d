// Opening the PostgreSQL store: the pool, the schema (migrated, or only checked when read-only),
// and the LISTEN connection made on demand.

import { Pool } from "pg";
import type { Logger } from "pino";
import { clientConfig, DEFAULT_POOL_SIZE, poolConfig } from "./connection";
import { storeError } from "./errors";
import { namesFor } from "./names";
import { redactorFor } from "./redact";
import { checkSchema, migrate, SCHEMA_VERSION } from "./schema";
import { PostgresStore } from "./store";
import { WakeListener } from "./wake";

export interface PostgresStoreOptions {
  /** `postgres://user:password@host:port/database?sslmode=…`: a credential, redacted everywhere. */
  readonly connectionString: string;
  /** The schema holding the tables; `sg_webhooks` by default. */
  readonly schema?: string;
  /** Connections in the pool (10 by default); the LISTEN connection is one more. */
  readonly poolSize?: number;
  readonly logger?: Logger;
  /** For commands that only read (`doctor`, `dlq list`): never migrates, and refuses to write. */
  readonly readOnly?: boolean;
  /** Shown in `pg_stat_activity`; `sg-webhooks` by default. */
  readonly applicationName?: string;
}

/**
 * Connects, and migrates the schema (creating it in an empty database) unless `readOnly`, where a
 * missing or older schema is an error that says what to do. Rejects with a redacted error when
 * the database cannot be reached.
 */
export async function openPostgresStore(options: PostgresStoreOptions): Promise<PostgresStore> {
  const redact = redactorFor(options.connectionString);
  const names = namesFor(options.schema);
  const settings = {
    connectionString: options.connectionString,
    applicationName: options.applicationName ?? "sg-webhooks",
    readOnly: options.readOnly ?? false,
  };
  let pool: Pool;
  try {
    pool = new Pool(poolConfig(settings, options.poolSize ?? DEFAULT_POOL_SIZE));
  } catch (err) {
    // An unparsable URL: Node's error holds the whole URL in `input`.
    throw storeError(err, "reading the database URL", redact);
  }
  // pg-pool listens for a client's errors only while it is idle, and `pool.query` only during its
  // query: a client checked out with `pool.connect()` (a session, a migration) has no listener, and
  // its 'error' event (a restart's 57P01, a cut socket) would end the process. Every client gets
  // one for its life. Nothing is lost by ignoring it here: the query in flight rejects and its
  // caller handles that, a later query on the broken client rejects too, and an idle client's
  // error also reaches the pool's 'error' listener, which has the store probe the database.
  pool.on("connect", (client) => {
    client.on("error", () => {});
  });
  // Until the store has its own listener: an idle connection's error must not end the process.
  const early = () => {};
  pool.on("error", early);
  try {
    if (settings.readOnly) await checkSchema(pool, names);
    else {
      const before = await migrate(pool, names);
      if (before < SCHEMA_VERSION) {
        options.logger?.info(
          { database: redact.target, schema: names.schema, from: before, to: SCHEMA_VERSION },
          before === 0 ? "created the relay's tables" : "migrated the relay's tables",
        );
      }
    }
  } catch (err) {
    await pool.end().catch(() => {});
    throw storeError(err, "opening the relay's tables", redact);
  }
  const store = new PostgresStore({
    pool,
    names,
    redact,
    logger: options.logger,
    wakeListener: (events) => new WakeListener(clientConfig(settings), names.quotedChannel, events),
  });
  pool.off("error", early);
  return store;
}
