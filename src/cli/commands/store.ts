// `sg-webhooks store copy`: moves a relay from SQLite to PostgreSQL without losing anything. Copies a
// data directory's pending deliveries, dead letters and the records that drop redeliveries into the
// database, and says what it copied. Refused while a relay runs on the directory: deliveries it
// took during the copy would stay behind. Running it again copies nothing twice.
import { existsSync } from "node:fs";
import { join } from "node:path";
import type { Command } from "commander";
import { DATABASE_FILE } from "../../relay/data-dir";
import { lockDataDir } from "../../relay/lock";
import type { CopyReport } from "../../relay/postgres";
import {
  DATABASE_URL_ENV,
  DEFAULT_DATABASE_SCHEMA,
  optionalStoreTarget,
  StoreTargetError,
} from "../../relay/store-target";

interface CopyFlags {
  dataDir: string;
  databaseUrl?: string;
  databaseSchema?: string;
  dryRun?: boolean;
}

/** Ends the command with exit code 2: the command line itself is wrong. */
function usage(cmd: Command, message: string): never {
  cmd.error(`error: ${message}`, { exitCode: 2, code: "sg-webhooks.usage" });
}

export function registerStore(program: Command): void {
  const store = program
    .command("store")
    .description("The relay's store: copy a SQLite data directory into PostgreSQL");
  store
    .command("copy")
    .description(
      "Copy a stopped SQLite relay's pending deliveries, dead letters and delivery records into PostgreSQL (run it again: nothing is copied twice)",
    )
    .requiredOption("--data-dir <dir>", "the data directory of the SQLite relay to copy from (stop it first)")
    .option(
      "--database-url <url>",
      `the PostgreSQL database to copy into (postgres://…); better given as ${DATABASE_URL_ENV}, which ps does not show`,
    )
    .option(
      "--database-schema <name>",
      `the schema of the relay's tables in that database (default: ${DEFAULT_DATABASE_SCHEMA})`,
    )
    .option("--dry-run", "count what would be copied, copy nothing")
    .action(async (flags: CopyFlags, cmd: Command) => {
      let target: ReturnType<typeof optionalStoreTarget>;
      try {
        target = optionalStoreTarget({
          databaseUrl: flags.databaseUrl,
          databaseSchema: flags.databaseSchema,
        });
      } catch (err) {
        if (err instanceof StoreTargetError) usage(cmd, err.message);
        throw err;
      }
      if (target?.kind !== "postgres") {
        usage(cmd, `say which database to copy into: --database-url URL, or set ${DATABASE_URL_ENV}`);
      }
      if (!existsSync(join(flags.dataDir, DATABASE_FILE))) {
        usage(
          cmd,
          `no relay store in ${flags.dataDir} (${DATABASE_FILE} is missing); pass the --data-dir of the SQLite relay's serve`,
        );
      }
      refuseWhileRelayRuns(flags.dataDir);
      // Loaded when the command runs: it brings pg and the PostgreSQL store.
      const { copySqliteToPostgres }: typeof import("../../relay/postgres") = require("../../relay/postgres");
      let report: CopyReport;
      try {
        report = await copySqliteToPostgres({
          dataDir: flags.dataDir,
          dryRun: flags.dryRun === true,
          database: {
            connectionString: target.url.href,
            schema: target.schema,
            poolSize: 2,
            applicationName: "sg-webhooks store copy",
          },
        });
      } catch (err) {
        throw new Error(target.url.redact(`copying into the database failed: ${(err as Error).message}`));
      }
      process.stdout.write(describeCopy(report));
    });
}

/**
 * A relay that holds the directory's lock keeps taking deliveries into it: copied now, they would
 * be left behind. Its lock says so, whatever its pid.
 */
function refuseWhileRelayRuns(dataDir: string): void {
  let unlock: () => void;
  try {
    unlock = lockDataDir(dataDir);
  } catch (err) {
    const running = /^another relay( \(pid \d+\))? uses/.exec((err as Error).message);
    if (!running) throw err;
    throw new Error(
      `a relay${running[1] ?? ""} is running on ${dataDir}: stop that relay first (systemctl stop sg-webhooks, or however it runs), then copy; the relays on PostgreSQL take over once the copy is done`,
    );
  }
  unlock();
}

const count = (n: number) => String(n).padStart(7);

/** What was copied, by state; never a body, a header or the password. */
export function describeCopy(r: CopyReport): string {
  const head = r.dryRun
    ? `dry run, nothing copied: would copy from ${r.source} to ${r.target}:`
    : `copied from ${r.source} to ${r.target}:`;
  const lines = [
    head,
    `  pending  ${count(r.copied.pending)}  deliveries waiting to be forwarded`,
    `  dead     ${count(r.copied.dead)}  dead letters`,
    `  records  ${count(r.copied.records)}  delivered or ignored deliveries, kept to drop redeliveries`,
  ];
  if (r.alreadyCopied > 0) lines.push(`${r.alreadyCopied} copied by an earlier run: not copied again`);
  if (r.keyTaken > 0) {
    lines.push(
      `${r.keyTaken} not copied: the database already holds a delivery with the same delivery ID (a relay on PostgreSQL took it)`,
    );
  }
  if (r.legacyKeys > 0) {
    lines.push(
      `${r.legacyKeys} delivery IDs kept by release 0.1.0 without their deliveries were not copied: redeliveries of those are taken as new`,
    );
  }
  return `${lines.join("\n")}\n`;
}
