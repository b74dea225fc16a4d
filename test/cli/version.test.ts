// Proves `sg-webhooks --version` prints package.json's version, run from the build or loaded from source.
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { buildCli } from "../../src/cli/main";

const ROOT = path.resolve(__dirname, "../..");
const VERSION = (JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")) as { version: string })
  .version;

describe("sg-webhooks --version", () => {
  it("is the package's version when the CLI is loaded from source (src/cli, one folder less deep)", () => {
    expect(VERSION).toMatch(/^\d+\.\d+\.\d+/);
    expect(buildCli().version()).toBe(VERSION);
  });

  it("is the package's version when the built CLI runs, as users run it", async () => {
    const { stdout } = await promisify(execFile)(process.execPath, [
      path.join(ROOT, "dist/src/cli/main.js"),
      "--version",
    ]);
    expect(stdout.trim()).toBe(VERSION);
  });
});
