// Proves each CLI command loads only what it needs: serve and dlq start without @pulumi/pulumi.
// The CLI loads only what a command needs: serve and dlq start without @pulumi/pulumi or graphql
// (seconds of loading and ~100 MB), which only doctor, redeliver and the sandbox bring in when run.
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { expect, it } from "vitest";

const MAIN = join(__dirname, "..", "..", "dist", "src", "cli", "main.js");

it("loads no @pulumi/pulumi and no graphql until a command that needs them runs", () => {
  const loaded = execFileSync(
    process.execPath,
    [
      "-e",
      `require(${JSON.stringify(MAIN)}); process.stdout.write(JSON.stringify(Object.keys(require.cache)))`,
    ],
    { encoding: "utf8" },
  );
  const modules = JSON.parse(loaded) as string[];
  expect(modules.some((m) => m.includes(join("src", "cli", "commands", "serve")))).toBe(true);
  expect(modules.filter((m) => /[\\/]node_modules[\\/](@pulumi|graphql)[\\/]/.test(m))).toEqual([]);
});
