#!/usr/bin/env node
import { Command } from "commander";
import { registerDlq } from "./commands/dlq";
import { registerSandbox } from "./commands/sandbox";
import { registerServe } from "./commands/serve";

/** `sg-webhooks`: each subcommand registers itself from its own file. */
export function buildCli(): Command {
  const program = new Command("sg-webhooks")
    .description("Sourcegraph incoming webhooks as code: the ingest relay and a local sandbox")
    .version(require("../../../package.json").version);
  registerServe(program);
  registerDlq(program);
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
