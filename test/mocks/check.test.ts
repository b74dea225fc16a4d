// Proves `sg-webhooks check` finds exactly the problems the root program finds, all at once, on one shared table of stack files.
// The program runs under mocks, fed each file as the engine feeds it (decrypted, every value a
// string); check reads the file itself, with its `secure:` values never decrypted. Both run with
// the case's environment, which the component's fallbacks read.
import { rmSync } from "node:fs";
import * as pulumi from "@pulumi/pulumi";
import { afterAll, afterEach, describe, expect, it, vi } from "vitest";
import { type ConfigError, configProblemText } from "../../src/program/config";
import { checkStackFile } from "../../src/review/check-declaration";
import { installMocks, resolved } from "../harness/mock-engine";
import {
  CASES,
  engineConfig,
  FALLBACK_VARIABLES,
  PROJECT,
  type StackFileCase,
  writeCases,
} from "../harness/stack-file-cases";

const { dir, files } = writeCases(CASES);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const saved = Object.fromEntries(FALLBACK_VARIABLES.map((v) => [v, process.env[v]]));
afterEach(() => {
  for (const [name, value] of Object.entries(saved)) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
});

/** The process environment of a case: its variables, and none of the other fallbacks. */
function useEnv(c: StackFileCase): void {
  for (const name of FALLBACK_VARIABLES) delete process.env[name];
  Object.assign(process.env, c.env ?? {});
}

/** Until the mocks have seen every registration (and outputs) of the run: the next run replaces them. */
async function quiet(registered: unknown[]): Promise<void> {
  let last = -1;
  let stable = 0;
  while (stable < 4) {
    await new Promise((r) => setTimeout(r, 25));
    stable = registered.length === last ? stable + 1 : 0;
    last = registered.length;
  }
}

/** What the root program reports when `pulumi up` runs it on the case: its problems, or none. */
async function programProblems(c: StackFileCase): Promise<string[]> {
  const { config, secretKeys } = engineConfig(c);
  vi.resetModules();
  pulumi.runtime.setAllConfig(config, secretKeys);
  const registered = await installMocks(PROJECT, "case");
  try {
    const program = await import("../../src/program/index");
    await resolved(program.hooks);
    await quiet(registered);
    return [];
  } catch (err) {
    if (err instanceof Error && err.name === "ConfigError") return [...(err as ConfigError).problems];
    throw err;
  }
}

describe("check and the root program, on the same stack files", () => {
  it.each(CASES.map((c, i) => [c.name, c, i] as const))("%s", async (_name, c, i) => {
    useEnv(c);
    const program = await programProblems(c);
    const checked = checkStackFile(files[i]!, { env: process.env }).problems.map(configProblemText);
    expect(program).toEqual(c.problems);
    expect(checked).toEqual(program);
  });

  it("the table holds both kinds: valid files, and files with several problems each", () => {
    expect(CASES.filter((c) => c.problems.length === 0).length).toBeGreaterThanOrEqual(3);
    expect(Math.max(...CASES.map((c) => c.problems.length))).toBeGreaterThanOrEqual(5);
  });
});
