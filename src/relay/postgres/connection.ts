// How the store connects: the settings every connection gets, and the bounds that make a call fail
// fast when PostgreSQL is unreachable (so intake answers 503 at once, never hangs) while the pool
// reconnects by itself once it is back.
import { type ClientConfig, type PoolConfig, types } from "pg";

/** Connecting (TCP, TLS, authentication) gives up after this long. */
export const CONNECT_TIMEOUT_MS = 5_000;
/** The server cancels a statement running longer than this. */
export const STATEMENT_TIMEOUT_MS = 10_000;
/** The client stops waiting for an answer after this long (a silent network drops no socket). */
export const QUERY_TIMEOUT_MS = 15_000;
/** Connections in the pool unless `poolSize` says otherwise. */
export const DEFAULT_POOL_SIZE = 10;

/**
 * bigint columns (ids, ms times, counts) as numbers: every value the store keeps is far below 2^53,
 * and the interface speaks numbers. The parser is per pool, so other users of pg in the process keep
 * pg's default (strings).
 */
const TYPES = {
  getTypeParser: ((oid: number, format?: "text" | "binary") =>
    oid === types.builtins.INT8 && format !== "binary"
      ? (value: string) => Number(value)
      : types.getTypeParser(oid, format ?? "text")) as typeof types.getTypeParser,
};

export interface ConnectionSettings {
  readonly connectionString: string;
  readonly applicationName: string;
  /** Opened for reading only (`doctor`, `dlq list`): every transaction is read-only. */
  readonly readOnly: boolean;
}

/**
 * The settings of one connection. The URL may carry libpq parameters (`sslmode`, `options`,
 * `application_name`...), which pg reads, and which win over these where both are given.
 */
export function clientConfig(s: ConnectionSettings): ClientConfig {
  return {
    connectionString: s.connectionString,
    application_name: s.applicationName,
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    statement_timeout: STATEMENT_TIMEOUT_MS,
    query_timeout: QUERY_TIMEOUT_MS,
    keepAlive: true,
    types: TYPES,
  };
}

/**
 * The session settings set on each new connection. synchronous_commit is on whatever the server's or
 * the role's default: `add` resolves (and the code host gets its 2xx) only once the row is on disk,
 * or on a synchronous standby where the operator configured one.
 */
export function sessionSettings(s: ConnectionSettings): string {
  return [
    "SET synchronous_commit = on",
    ...(s.readOnly ? ["SET default_transaction_read_only = on"] : []),
  ].join("; ");
}

export function poolConfig(s: ConnectionSettings, poolSize: number): PoolConfig {
  if (!Number.isInteger(poolSize) || poolSize < 1) {
    throw new Error(
      `the PostgreSQL pool size must be a whole number of connections, at least 1; got ${poolSize}`,
    );
  }
  const settings = sessionSettings(s);
  return {
    ...clientConfig(s),
    max: poolSize,
    idleTimeoutMillis: 30_000,
    // A Pool holds no event loop open by itself: the store's owner decides when to close.
    allowExitOnIdle: true,
    onConnect: async (client) => {
      await client.query(settings);
    },
  };
}
