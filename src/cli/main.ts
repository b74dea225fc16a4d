#!/usr/bin/env node
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { Command, CommanderError } from "commander";
import { packageRoot } from "../package-root";
import { registerCheck } from "./commands/check";
import { registerDiff } from "./commands/diff";
import { registerDlq } from "./commands/dlq";
import { registerDoctor } from "./commands/doctor";
import { registerRedeliver } from "./commands/redeliver";
import { registerSandbox } from "./commands/sandbox";
import { registerServe } from "./commands/serve";
import { registerStore } from "./commands/store";

/** Exit codes: 0 all well, 1 a failure, 2 a usage error (flags missing, unknown or conflicting). */
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

/** The package's version, from its package.json: found from src/cli and from dist/src/cli alike. */
function packageVersion(): string {
  const manifest = JSON.parse(readFileSync(path.join(packageRoot(), "package.json"), "utf8")) as {
    version: string;
  };
  return manifest.version;
}

/** `sg-webhooks`: each subcommand registers itself from its own file. */
export function buildCli(): Command {
  const program = new Command("sg-webhooks")
    .description(
      "Sourcegraph incoming webhooks as code: the ingest relay, doctor and redeliver, check and diff for pull requests, and a local sandbox",
    )
    .version(packageVersion())
    // Commander throws its usage errors instead of exiting 1, so that they end with EXIT_USAGE.
    // Set before the subcommands are added: they inherit it.
    .exitOverride();
  registerServe(program);
  registerDlq(program);
  registerStore(program);
  registerDoctor(program);
  registerRedeliver(program);
  registerCheck(program);
  registerDiff(program);
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
