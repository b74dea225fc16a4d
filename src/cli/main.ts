#!/usr/bin/env node
import { Command, CommanderError } from "commander";
import { registerDlq } from "./commands/dlq";
import { registerDoctor } from "./commands/doctor";
import { registerRedeliver } from "./commands/redeliver";
import { registerSandbox } from "./commands/sandbox";
import { registerServe } from "./commands/serve";

/** Exit codes: 0 all well, 1 a failure, 2 a usage error (flags missing, unknown or conflicting). */
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

/** `sg-webhooks`: each subcommand registers itself from its own file. */
export function buildCli(): Command {
  const program = new Command("sg-webhooks")
    .description("Sourcegraph incoming webhooks as code: the ingest relay and a local sandbox")
    .version(require("../../../package.json").version)
    // Commander throws its usage errors instead of exiting 1, so that they end with EXIT_USAGE.
    // Set before the subcommands are added: they inherit it.
    .exitOverride();
  registerServe(program);
  registerDlq(program);
  registerDoctor(program);
  registerRedeliver(program);
  registerSandbox(program);
  return program;
}

if (require.main === module) {
  buildCli()
    .parseAsync(process.argv)
    .catch((err: unknown) => {
      // Commander has printed its message (or the help, or the version, which end with 0).
      if (err instanceof CommanderError) process.exit(err.exitCode === 0 ? 0 : EXIT_USAGE);
      process.stderr.write(`sg-webhooks: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(EXIT_FAILURE);
    });
}
