#!/usr/bin/env node
import { Command } from "commander";
import { registerSandbox } from "./commands/sandbox";

/** `sg-webhooks`: each subcommand registers itself from its own file. */
export function buildCli(): Command {
  const program = new Command("sg-webhooks")
    .description("Sourcegraph incoming webhooks as code: the ingest relay and a local sandbox")
    .version(require("../../../package.json").version);
  registerSandbox(program);
  return program;
}

if (require.main === module) {
  buildCli()
    .parseAsync(process.argv)
    .catch((err: unknown) => {
      process.stderr.write(`sg-webhooks: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(1);
    });
}
