// The flags that say where the relay's store is, as every command that opens it declares them:
// `--data-dir` (SQLite) or `--database-url` (PostgreSQL, or SG_WEBHOOKS_DATABASE_URL), with the
// database's schema and pool size. What they mean and how they combine: src/relay/store-target.ts.
import type { Command } from "commander";
import {
  DATABASE_URL_ENV,
  DEFAULT_DATABASE_POOL_SIZE,
  DEFAULT_DATABASE_SCHEMA,
  optionalStoreTarget,
  type StoreFlagValues,
  type StoreTarget,
  StoreTargetError,
  storeTarget,
} from "../relay/store-target";

export interface StoreFlagOptions {
  /** The data directory flag's name in this command (doctor and redeliver say `--relay-data-dir`). */
  readonly dataDirFlag?: "--data-dir" | "--relay-data-dir";
  /** Its help text. */
  readonly dataDirHelp: string;
  /** Whether the command takes `--database-pool-size` (those that hold connections for long). */
  readonly poolSize?: boolean;
}

const URL_HELP = `PostgreSQL instead (postgres://…), shared by any number of relays; better given as ${DATABASE_URL_ENV}, which ps does not show`;

/** Declares the store flags on `cmd`. None is required by commander: exactly one store is checked on use. */
export function withStoreFlags(cmd: Command, options: StoreFlagOptions): Command {
  const dirFlag = options.dataDirFlag ?? "--data-dir";
  cmd
    .option(`${dirFlag} <dir>`, options.dataDirHelp)
    .option("--database-url <url>", URL_HELP)
    // Defaults in the text, not as commander's: a value commander filled in would look given, and
    // these are refused beside --data-dir.
    .option(
      "--database-schema <name>",
      `the schema of the relay's tables in that database (default: ${DEFAULT_DATABASE_SCHEMA})`,
    );
  if (options.poolSize) {
    cmd.option(
      "--database-pool-size <n>",
      `the most connections to the database this process opens at once (default: ${DEFAULT_DATABASE_POOL_SIZE})`,
    );
  }
  return cmd;
}

/** The store flags' values as the user gave them. */
function given(cmd: Command, dirFlag: "--data-dir" | "--relay-data-dir"): StoreFlagValues {
  const opts = cmd.opts<Record<string, string | undefined>>();
  const dirKey = dirFlag === "--data-dir" ? "dataDir" : "relayDataDir";
  return {
    dataDir: opts[dirKey],
    databaseUrl: opts.databaseUrl,
    databaseSchema: opts.databaseSchema,
    databasePoolSize: opts.databasePoolSize,
  };
}

/** Ends the command with exit code 2, the usage error's message printed by commander. */
function usage(cmd: Command, err: unknown): never {
  if (err instanceof StoreTargetError) {
    cmd.error(`error: ${err.message}`, { exitCode: 2, code: "sg-webhooks.usage" });
  }
  throw err;
}

/** The store `cmd`'s flags name: exactly one of the data directory and a database URL. */
export function storeTargetOf(
  cmd: Command,
  dirFlag: "--data-dir" | "--relay-data-dir" = "--data-dir",
): StoreTarget {
  try {
    return storeTarget(given(cmd, dirFlag), { dataDirFlag: dirFlag });
  } catch (err) {
    usage(cmd, err);
  }
}

/** The store `cmd`'s flags name, or undefined when they name none. */
export function optionalStoreTargetOf(
  cmd: Command,
  dirFlag: "--data-dir" | "--relay-data-dir" = "--data-dir",
): StoreTarget | undefined {
  try {
    return optionalStoreTarget(given(cmd, dirFlag), { dataDirFlag: dirFlag });
  } catch (err) {
    usage(cmd, err);
  }
}
