// `sg-webhooks diff (--base FILE | --base-ref GITREF) --head FILE [--format text|markdown|json]`:
// the change between two declarations in their own terms, for a pull request. Exit 0 with the
// description (empty or not), 1 when a declaration has problems, 2 for a usage error or an input
// that cannot be read.
import { type Command, Option } from "commander";
import { UsageError } from "../../doctor/inputs/usage-error";
import { usage } from "./doctor";

interface DiffFlags {
  base?: string;
  baseRef?: string;
  head: string;
  format: "text" | "markdown" | "json";
  project?: string;
}

export function registerDiff(program: Command): void {
  program
    .command("diff")
    .description(
      "Describe the change between two stack files in their own terms: receivers and hooks added or removed, events, URLs, TLS, secrets, renames",
    )
    .option("--base <file>", "the stack file before the change")
    .option(
      "--base-ref <gitref>",
      "read the stack file before the change from git at this ref (the --head file's path there)",
    )
    .requiredOption("--head <file>", "the stack file after the change")
    .addOption(
      new Option("--format <format>", "how to print the changes (markdown: a pull request comment)")
        .choices(["text", "markdown", "json"])
        .default("text"),
    )
    .option("--project <name>", "the project name (default: the name in the Pulumi.yaml beside --head)")
    .action((flags: DiffFlags, cmd: Command) => {
      try {
        // Loaded when the command runs, as every command's implementation is: the CLI starts light.
        const { runDiff }: typeof import("../../review/run-diff") = require("../../review/run-diff");
        const run = runDiff({
          base: flags.base,
          baseRef: flags.baseRef,
          head: flags.head,
          format: flags.format,
          project: flags.project,
        });
        process.stdout.write(run.output);
        process.stderr.write(run.errors);
        process.exitCode = run.exitCode;
      } catch (err) {
        if (err instanceof UsageError) usage(cmd, err.message);
        throw err;
      }
    });
}
