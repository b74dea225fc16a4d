// `sg-webhooks redeliver`: asks the code hosts to send again what never got a 2xx (GitHub within
// its window, GitLab 17.4+; through a relay, what the relay dead-lettered), retryable failures
// only. Exit 0 when nothing is left undone, 1 otherwise, 2 for a usage error or unreadable input.
import type { Command } from "commander";
import { UsageError } from "../../doctor/inputs/usage-error";
import { renderRedeliverHuman, renderRedeliverJson } from "../../doctor/redeliver/render";
import { relayStoreOf, usage, withPlanFlags } from "./doctor";

interface RedeliverFlags {
  config?: string;
  outputs?: string;
  project?: string;
  stack?: string;
  connection?: string;
  since: string;
  dryRun?: boolean;
  json?: boolean;
}

export function registerRedeliver(program: Command): void {
  withPlanFlags(
    program
      .command("redeliver")
      .description(
        "Ask the code hosts to send again the deliveries that never got a 2xx and may succeed now (GitHub, GitLab 17.4+; through a relay, its dead letters)",
      ),
  )
    .option(
      "--since <duration>",
      "how far back to look (GitHub keeps 3 days, 7 on Enterprise Server; GitLab 7)",
      "72h",
    )
    .option("--dry-run", "say what would be sent again, send nothing")
    .option("--json", "print what was done as JSON")
    .action(async (flags: RedeliverFlags, cmd: Command) => {
      let relay: Awaited<ReturnType<typeof relayStoreOf>> = {};
      try {
        // Loaded when the command runs, as doctor's is: it pulls in @pulumi/pulumi.
        const {
          runRedeliver,
        }: typeof import("../../doctor/redeliver/run") = require("../../doctor/redeliver/run");
        relay = await relayStoreOf(cmd);
        const report = await runRedeliver({
          config: flags.config,
          outputs: flags.outputs,
          project: flags.project,
          stack: flags.stack,
          connection: flags.connection,
          since: flags.since,
          dryRun: flags.dryRun,
          ...relay,
        });
        process.stdout.write(flags.json ? renderRedeliverJson(report) : renderRedeliverHuman(report));
        process.exitCode = report.ok ? 0 : 1;
      } catch (err) {
        if (err instanceof UsageError) usage(cmd, err.message);
        throw err;
      } finally {
        await relay.relayRecords?.close();
      }
    });
}
