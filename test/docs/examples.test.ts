// Proves every example is a Pulumi program that type-checks against the package as it is now (they are programs users copy), plus gitops/, the pipelines that deploy one, and policy-pack/, a policy pack.
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = path.resolve(__dirname, "../..");
const EXAMPLES = path.join(ROOT, "examples");
const TSC = require.resolve("typescript/bin/tsc");
const TSC_TIMEOUT = 120_000;

function tsc(project: string): { ok: boolean; output: string } {
  try {
    execFileSync(process.execPath, [TSC, "-p", project], { cwd: ROOT, encoding: "utf8", stdio: "pipe" });
    return { ok: true, output: "" };
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string };
    return { ok: false, output: `${e.stdout ?? ""}${e.stderr ?? ""}` };
  }
}

/** Not a program: the pipelines that review and deploy one (its tests: gitops-pipelines, gitops-review). */
const GITOPS = "gitops";
/** Not a program either: a policy pack that `pulumi preview --policy-pack` runs beside one (its tests: webhook-policy). */
const POLICY_PACK = "policy-pack";

const folders = readdirSync(EXAMPLES, { withFileTypes: true })
  .filter((d) => d.isDirectory() && !d.name.startsWith("."))
  .map((d) => d.name)
  .sort();
const examples = folders.filter((name) => name !== GITOPS && name !== POLICY_PACK);

describe("examples/", () => {
  it("holds Pulumi programs, plus gitops/ and policy-pack/", () => {
    expect(folders).toContain(GITOPS);
    for (const file of ["README.md", "package.json", "Pulumi.yaml", ".gitlab-ci.yml", ".github/workflows"]) {
      expect(existsSync(path.join(EXAMPLES, GITOPS, file)), `${GITOPS}/${file}`).toBe(true);
    }
    // It has no program of its own to type-check: it runs the package's root program.
    expect(existsSync(path.join(EXAMPLES, GITOPS, "index.ts"))).toBe(false);
    expect(folders).toContain(POLICY_PACK);
    for (const file of [
      "README.md",
      "package.json",
      "PulumiPolicy.yaml",
      "index.ts",
      "policies.ts",
      "tsconfig.json",
    ]) {
      expect(existsSync(path.join(EXAMPLES, POLICY_PACK, file)), `${POLICY_PACK}/${file}`).toBe(true);
    }
    // PolicyPack reads its version from package.json, and refuses to start without one.
    const pack = JSON.parse(readFileSync(path.join(EXAMPLES, POLICY_PACK, "package.json"), "utf8"));
    expect(pack.version).toMatch(/^\d+\.\d+\.\d+$/);
    expect(folders.filter((f) => !examples.includes(f))).toEqual([GITOPS, POLICY_PACK]);
  });

  it("has the five scenarios, each a runnable program with a README", () => {
    expect(examples).toEqual([
      "bitbucket-cloud-workspace",
      "bitbucket-server",
      "everything-behind-relay",
      "github-organization",
      "gitlab-projects",
    ]);
    for (const name of examples) {
      for (const file of ["package.json", "Pulumi.yaml", "index.ts", "README.md", "tsconfig.json"]) {
        expect(existsSync(path.join(EXAMPLES, name, file)), `${name}/${file}`).toBe(true);
      }
      const pkg = JSON.parse(readFileSync(path.join(EXAMPLES, name, "package.json"), "utf8"));
      expect(pkg.dependencies["pulumi-sourcegraph-webhooks"]).toBe("file:../..");
      expect(readFileSync(path.join(EXAMPLES, name, "Pulumi.yaml"), "utf8")).toMatch(/^runtime: nodejs$/m);
    }
  });

  it("each README's steps, up to the first pulumi command, build the package at the root before installing the example", () => {
    // `npm install` in an example runs the package's prepare script in ../.., which needs the
    // root's own node_modules (tsc): a fresh clone must run `npm ci` at the root first.
    for (const name of examples) {
      const readme = readFileSync(path.join(EXAMPLES, name, "README.md"), "utf8");
      const steps = (/```bash\n([\s\S]*?)```/.exec(readme)?.[1] ?? "")
        .split("\n")
        .map((line) => line.replace(/\s+#.*$/, "").trim())
        .filter((line) => line !== "");
      const first = steps.findIndex((line) => line.startsWith("pulumi "));
      expect(first, name).toBeGreaterThan(0);
      expect(steps.slice(0, 3), name).toEqual(["npm ci", `cd examples/${name}`, "npm install"]);
      expect(steps.slice(0, first), name).toContain("npx tsc --noEmit -p .");
    }
  });

  // A tsc run of its own each: tens of seconds on a busy two-core machine, so beyond the default timeout.
  it("type-check against the package source", { timeout: TSC_TIMEOUT }, () => {
    const result = tsc(path.join(EXAMPLES, "tsconfig.json"));
    expect(result.output).toBe("");
    expect(result.ok).toBe(true);
  });

  it("the check catches an example that no longer matches the API", { timeout: TSC_TIMEOUT }, () => {
    const dir = mkdtempSync(path.join(EXAMPLES, ".canary-"));
    try {
      writeFileSync(
        path.join(dir, "index.ts"),
        'import { SourcegraphWebhooks } from "pulumi-sourcegraph-webhooks";\nnew SourcegraphWebhooks("x", { gitlab: [{ project: ["a/b"] }] });\n',
      );
      writeFileSync(
        path.join(dir, "tsconfig.json"),
        JSON.stringify({ extends: "../tsconfig.json", include: ["index.ts"] }),
      );
      const result = tsc(path.join(dir, "tsconfig.json"));
      expect(result.ok).toBe(false);
      expect(result.output).toContain("'project' does not exist");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
