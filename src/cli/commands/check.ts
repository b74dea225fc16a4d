// `sg-webhooks check FILE…`: validates stack files offline with the root program's own checks (no
// Pulumi CLI, no network, no credentials). Exit 0 when all are valid, 1 when one has problems, 2 for
// a usage error or a file that cannot be read.
import type { Command } from "commander";

interface CheckFlags {
  project?: string;
}

export function registerCheck(program: Command): void {
  program
    .command("check")
    .description(
      "Check stack files offline as the root program would: every problem at once, with its config key and what is valid (no Pulumi CLI, network or credentials)",
    )
    .argument("<files...>", "stack files (Pulumi.<stack>.yaml)")
    .option("--project <name>", "the project name (default: the name in the Pulumi.yaml beside each file)")
    .action((files: string[], flags: CheckFlags) => {
      // Loaded when the command runs, as every command's implementation is: the CLI starts light.
      const { runCheck }: typeof import("../../review/run-check") = require("../../review/run-check");
      const run = runCheck(files, { project: flags.project });
      process.stdout.write(run.output);
      process.stderr.write(run.errors);
      process.exitCode = run.exitCode;
    });
}
