// Where the relay's store is: SQLite in a data directory (one relay per directory), or PostgreSQL
// (any number of relays on one database). Every command that opens the store (serve, dlq, store
// copy, doctor and redeliver) reads its flags through this, so they agree on the names, the
// environment variable, the defaults and the messages.
import { type DatabaseUrl, parseDatabaseUrl } from "./database-url";

/** The database URL from the environment: it keeps the password out of `ps` and shell history. */
export const DATABASE_URL_ENV = "SG_WEBHOOKS_DATABASE_URL";
export const DEFAULT_DATABASE_SCHEMA = "sg_webhooks";

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
 * name an operator types in psql is the relay's); `pg_` names are PostgreSQL's own.
 */
function parseSchema(value: string): string {
  if (!/^[a-z_][a-z0-9_]*$/.test(value) || value.length > 63) {
    throw new StoreTargetError(
      `--database-schema "${value}" must be a lowercase name: letters a-z, digits and _, not starting with a digit, at most 63 characters (such as ${DEFAULT_DATABASE_SCHEMA})`,
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
