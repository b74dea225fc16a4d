// Where the relay's store is: SQLite in a data directory (one relay per directory), or PostgreSQL
// (any number of relays on one database). Every command that opens the store (serve, dlq, store
// copy, doctor and redeliver) reads its flags through this, so they agree on the names, the
// environment variable, the defaults and the messages.
import type { Logger } from "pino";
import { type DatabaseUrl, parseDatabaseUrl } from "./database-url";
import type { PostgresStore } from "./postgres";
import type { DeliveryStore } from "./store";

/** The database URL from the environment: it keeps the password out of `ps` and shell history. */
export const DATABASE_URL_ENV = "SG_WEBHOOKS_DATABASE_URL";
export const DEFAULT_DATABASE_SCHEMA = "sg_webhooks";
/** The PostgreSQL store's own default (postgres/connection.ts), for the CLI's help. */
export const DEFAULT_DATABASE_POOL_SIZE = 10;

export interface SqliteTarget {
  readonly kind: "sqlite";
  readonly dataDir: string;
}

export interface PostgresTarget {
  readonly kind: "postgres";
  readonly url: DatabaseUrl;
  /** The schema that holds the relay's tables. */
  readonly schema: string;
  /** Connections this process may open at most; undefined: the store's default. */
  readonly poolSize?: number;
}

export type StoreTarget = SqliteTarget | PostgresTarget;

/** The flags' values as given (undefined when not given). */
export interface StoreFlagValues {
  readonly dataDir?: string;
  readonly databaseUrl?: string;
  readonly databaseSchema?: string;
  readonly databasePoolSize?: string;
}

export interface StoreTargetRules {
  /** The flag that names a data directory in this command: `--data-dir`, or doctor's `--relay-data-dir`. */
  readonly dataDirFlag?: string;
  /** Where the environment variable is read (tests give their own). */
  readonly env?: NodeJS.ProcessEnv;
}

/** The store flags are missing, conflicting or malformed: a usage error (exit 2). */
export class StoreTargetError extends Error {
  override readonly name = "StoreTargetError";
}

const URL_FLAG = "--database-url";

/**
 * The store the flags name, or undefined when they name none (a command for which the store is
 * optional, such as doctor). Throws StoreTargetError with the fix; never with the URL's password.
 */
export function optionalStoreTarget(
  flags: StoreFlagValues,
  rules: StoreTargetRules = {},
): StoreTarget | undefined {
  const dirFlag = rules.dataDirFlag ?? "--data-dir";
  const env = rules.env ?? process.env;
  const fromEnv = env[DATABASE_URL_ENV];
  // The flag wins over the variable; an empty variable (a secret that did not fill it) is unset.
  const url =
    flags.databaseUrl !== undefined
      ? { value: flags.databaseUrl, source: URL_FLAG }
      : fromEnv
        ? { value: fromEnv, source: DATABASE_URL_ENV }
        : undefined;
  if (flags.dataDir !== undefined && url !== undefined) {
    throw new StoreTargetError(
      url.source === URL_FLAG
        ? `give either ${dirFlag} DIR (SQLite, one relay) or ${URL_FLAG} URL (PostgreSQL, any number of relays), not both`
        : `${DATABASE_URL_ENV} is set and ${dirFlag} is given: give either ${dirFlag} DIR (SQLite, one relay) or ${URL_FLAG} URL (PostgreSQL, any number of relays), not both; unset ${DATABASE_URL_ENV} to use the data directory`,
    );
  }
  if (url === undefined) {
    for (const [given, flag] of [
      [flags.databaseSchema, "--database-schema"],
      [flags.databasePoolSize, "--database-pool-size"],
    ] as const) {
      if (given !== undefined)
        throw new StoreTargetError(
          `${flag} is only read with ${URL_FLAG} URL (or ${DATABASE_URL_ENV}); drop it${flags.dataDir !== undefined ? ` to use ${dirFlag}` : ""}`,
        );
    }
    if (flags.dataDir === undefined) return undefined;
    if (flags.dataDir.trim() === "") throw new StoreTargetError(`${dirFlag} is empty; give a directory`);
    return { kind: "sqlite", dataDir: flags.dataDir };
  }
  let parsed: DatabaseUrl;
  try {
    parsed = parseDatabaseUrl(url.value, url.source);
  } catch (err) {
    throw new StoreTargetError((err as Error).message);
  }
  return {
    kind: "postgres",
    url: parsed,
    schema: parseSchema(flags.databaseSchema ?? DEFAULT_DATABASE_SCHEMA),
    ...(flags.databasePoolSize !== undefined ? { poolSize: parsePoolSize(flags.databasePoolSize) } : {}),
  };
}

/** The store the flags name: exactly one of the data directory and a database URL. */
export function storeTarget(flags: StoreFlagValues, rules: StoreTargetRules = {}): StoreTarget {
  const target = optionalStoreTarget(flags, rules);
  if (target) return target;
  const dirFlag = rules.dataDirFlag ?? "--data-dir";
  const env = rules.env ?? process.env;
  throw new StoreTargetError(
    `say where the relay's store is: ${dirFlag} DIR (SQLite, one relay) or ${URL_FLAG} URL (PostgreSQL, any number of relays; or set ${DATABASE_URL_ENV}, which ps does not show)${env[DATABASE_URL_ENV] === "" ? `; ${DATABASE_URL_ENV} is set but empty` : ""}`,
  );
}

/** What a log line or a message says of the store: the directory, or the database without its password. */
export function describeStoreTarget(target: StoreTarget): string {
  return target.kind === "sqlite" ? target.dataDir : `${target.url.display} (schema ${target.schema})`;
}

/**
 * An unquoted identifier, lowercase since PostgreSQL folds unquoted names to lowercase (so the
 * name an operator types in psql is the relay's); `pg_` names are PostgreSQL's own. At most 58
 * characters: the store's wake-up channel is the name plus `_wake`, within PostgreSQL's 63.
 */
function parseSchema(value: string): string {
  if (!/^[a-z_][a-z0-9_]*$/.test(value) || value.length > 58) {
    throw new StoreTargetError(
      `--database-schema "${value}" must be a lowercase name: letters a-z, digits and _, not starting with a digit, at most 58 characters (such as ${DEFAULT_DATABASE_SCHEMA})`,
    );
  }
  if (value.startsWith("pg_")) {
    throw new StoreTargetError(
      `--database-schema "${value}": names starting with pg_ are PostgreSQL's own; give another, such as ${DEFAULT_DATABASE_SCHEMA}`,
    );
  }
  return value;
}

function parsePoolSize(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0 || n > 1000) {
    throw new StoreTargetError(
      `--database-pool-size "${value}" must be a whole number of connections from 1 to 1000`,
    );
  }
  return n;
}

/** A PostgreSQL store for the relay, as `startRelay` takes it. */
export interface DatabaseOptions {
  /** `postgres://…`: a credential, never logged with its password. */
  readonly url: string;
  /** The schema of the relay's tables; `sg_webhooks` unless given. */
  readonly schema?: string;
  /** Connections the store opens at most (the one that listens for wake-ups is one more). */
  readonly poolSize?: number;
}

export interface OpenDatabaseOptions {
  /** `pg_stat_activity` shows it: which command holds the connection. */
  readonly applicationName: string;
  /** Never migrates, writes nothing (`dlq list`, `doctor`). */
  readonly readOnly?: boolean;
  readonly logger?: Logger;
}

/**
 * Opens the PostgreSQL store, migrating its tables unless `readOnly`. The driver is loaded here,
 * when a command uses the database, never when the CLI starts. Throws with the URL's password
 * redacted from every word.
 */
export async function openDatabase(
  database: DatabaseOptions,
  how: OpenDatabaseOptions,
): Promise<PostgresStore> {
  const url = parseDatabaseUrl(database.url, "the database URL");
  const { openPostgresStore } = await import("./postgres/index.js");
  try {
    return await openPostgresStore({
      connectionString: url.href,
      schema: database.schema ?? DEFAULT_DATABASE_SCHEMA,
      ...(database.poolSize !== undefined ? { poolSize: database.poolSize } : {}),
      ...(how.logger ? { logger: how.logger } : {}),
      readOnly: how.readOnly ?? false,
      applicationName: how.applicationName,
    });
  } catch (err) {
    // A fresh error: the driver's may hold the URL in other properties.
    throw new Error(url.redact(`cannot open the relay's store: ${(err as Error)?.message ?? String(err)}`));
  }
}

/** The options `openDatabase` takes for a target the flags named. */
export function databaseOptions(target: PostgresTarget): DatabaseOptions {
  return {
    url: target.url.href,
    schema: target.schema,
    ...(target.poolSize !== undefined ? { poolSize: target.poolSize } : {}),
  };
}

/**
 * A store that other processes share (PostgreSQL): it may become unavailable and come back without
 * the relay restarting, and other relays may make work due in it.
 */
export interface SharedStore extends DeliveryStore {
  /** Whether the database answers now. */
  readonly available: boolean;
  onAvailability(listener: (available: boolean) => void): () => void;
  /** Another relay (or `dlq replay`) made deliveries due. */
  onWake(listener: () => void): () => void;
  /** The database without its password, for logs. */
  readonly target: string;
  readonly schema: string;
}

export function isSharedStore(store: DeliveryStore): store is SharedStore {
  const s = store as Partial<SharedStore>;
  return typeof s.onAvailability === "function" && typeof s.onWake === "function";
}
