// `sg-webhooks doctor`: proves that each hook's deliveries reach Sourcegraph and are accepted
// (declared vs live, a live probe, history). Exit 0 when no check fails, 1 otherwise, 2 for a usage
// error or an input that cannot be read.
import type { Command } from "commander";
import { UsageError } from "../../doctor/inputs/usage-error";
import type { RelayRecords } from "../../doctor/relay";
import { renderHuman } from "../../doctor/report/human";
import { renderJson } from "../../doctor/report/json";
import { optionalStoreTargetOf, withStoreFlags } from "../store-flags";

interface DoctorFlags {
  config?: string;
  outputs?: string;
  project?: string;
  stack?: string;
  connection?: string;
  probe: boolean;
  since: string;
  wait: string;
  json?: boolean;
}

/** The flags doctor and redeliver share: where the plan comes from and how to read the relay. */
export function withPlanFlags(cmd: Command): Command {
  const plan = cmd
    .option("--config <file>", "the stack file the root program deploys (Pulumi.<stack>.yaml)")
    .option("--outputs <file>", "what pulumi stack output --json printed (a file, or - for standard input)")
    .option("--project <name>", "the project name (default: the name in the Pulumi.yaml beside --config)")
    .option("--stack <name>", "the stack name (default: <stack> in the file name Pulumi.<stack>.yaml)")
    .option(
      "--connection <codeHost/name>",
      "only this connection, as in the receivers output (gitlab/gitlab.example.com)",
    );
  return withStoreFlags(plan, {
    dataDirFlag: "--relay-data-dir",
    dataDirHelp: "the relay's data directory (the --data-dir of serve), to read what Sourcegraph answered it",
  });
}

/**
 * Where the relay's records are, from the store flags: `relayDataDir` for a SQLite relay, or
 * `relayRecords` opened read-only from the relays' database (the caller closes them). Neither
 * when no store is named: the relay checks are skipped, naming the flags.
 */
export async function relayStoreOf(
  cmd: Command,
): Promise<{ relayDataDir?: string; relayRecords?: RelayRecords }> {
  const target = optionalStoreTargetOf(cmd, "--relay-data-dir");
  if (target === undefined) return {};
  if (target.kind === "sqlite") return { relayDataDir: target.dataDir };
  // Loaded when used, as the PostgreSQL driver is.
  const {
    openDatabaseRecords,
  }: typeof import("../../doctor/relay-store") = require("../../doctor/relay-store");
  return { relayRecords: await openDatabaseRecords(target) };
}

/** Ends the command with exit code 2. */
export function usage(cmd: Command, message: string): never {
  cmd.error(`error: ${message}`, { exitCode: 2, code: "sg-webhooks.usage" });
}

export function registerDoctor(program: Command): void {
  withPlanFlags(
    program
      .command("doctor")
      .description(
        "Prove that webhooks work: each receiver and hook as declared, a live delivery followed into Sourcegraph's logs, and recent failures",
      ),
  )
    .option("--no-probe", "send no live delivery (the probes are listed as skipped)")
    .option("--since <duration>", "how far back to look for failed deliveries", "24h")
    .option("--wait <duration>", "how long to watch for a probe's delivery", "30s")
    .option("--json", "print the report as JSON")
    .action(async (flags: DoctorFlags, cmd: Command) => {
      let relay: Awaited<ReturnType<typeof relayStoreOf>> = {};
      try {
        // Loaded when the command runs: checking a declaration pulls in @pulumi/pulumi (seconds to
        // load), which every other command (serve above all) must not pay for at start-up.
        const { durationMs, runDoctor }: typeof import("../../doctor/run") = require("../../doctor/run");
        const waitMs = durationMs(flags.wait, 30_000, "--wait");
        relay = await relayStoreOf(cmd);
        const report = await runDoctor({
          config: flags.config,
          outputs: flags.outputs,
          project: flags.project,
          stack: flags.stack,
          connection: flags.connection,
          probe: flags.probe,
          since: flags.since,
          waitMs,
          ...relay,
        });
        process.stdout.write(flags.json ? renderJson(report) : renderHuman(report));
        process.exitCode = report.ok ? 0 : 1;
      } catch (err) {
        if (err instanceof UsageError) usage(cmd, err.message);
        throw err;
      } finally {
        await relay.relayRecords?.close();
      }
    });
}
