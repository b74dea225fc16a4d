// Proves `sg-webhooks check` as users run it: the shared table's problems, all at once, exit 0/1/2, with no network, Pulumi or secret.
// The built CLI runs in a child process whose sockets and DNS throw, with no PATH (so no pulumi or
// git) and no credential in its environment; each stack file of the table shared with the root
// program's test (harness/stack-file-cases.ts) must get exactly that case's problems.
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { CASES, DECRYPTED, type StackFileCase, writeCases } from "../harness/stack-file-cases";

const MAIN = join(__dirname, "..", "..", "dist", "src", "cli", "main.js");
const dir = mkdtempSync(join(tmpdir(), "sg-check-cli-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Loaded before the CLI: any socket or DNS lookup fails loudly, and loading @pulumi is reported. */
const GUARD = join(dir, "guard.cjs");
writeFileSync(
  GUARD,
  `const net = require("node:net");
const dns = require("node:dns");
const refuse = () => { process.stderr.write("NETWORK USED\\n"); throw new Error("network used"); };
net.Socket.prototype.connect = refuse;
dns.lookup = refuse;
dns.resolve = refuse;
process.on("exit", () => {
  if (Object.keys(require.cache).some((m) => /node_modules[\\\\/]@pulumi[\\\\/]/.test(m)))
    process.stderr.write("PULUMI LOADED\\n");
});
`,
);

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** The built CLI with only `env` in its environment (no PATH, so neither pulumi nor git). */
function run(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ["--require", GUARD, MAIN, ...args],
      { env: { HOME: dir, ...env }, timeout: 20_000 },
      (err, stdout, stderr) => {
        resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
      },
    );
  });
}

/** Each file's block of the report: its problems (indented lines) and notes. */
function report(stdout: string): Map<string, { header: string; problems: string[]; notes: string[] }> {
  const blocks = new Map<string, { header: string; problems: string[]; notes: string[] }>();
  let current: { header: string; problems: string[]; notes: string[] } | undefined;
  for (const line of stdout.split("\n")) {
    if (line === "") continue;
    if (!line.startsWith("  ")) {
      const at = line.indexOf(".yaml: ");
      current = { header: line.slice(at + 7), problems: [], notes: [] };
      blocks.set(line.slice(0, at + 5), current);
    } else if (line.startsWith("  note: ")) current!.notes.push(line.slice(8));
    else current!.problems.push(line.slice(2));
  }
  return blocks;
}

describe("the shared table through the built CLI", () => {
  const { dir: casesDir, files } = writeCases(CASES);
  afterAll(() => rmSync(casesDir, { recursive: true, force: true }));
  // One run per environment: the fallbacks (GITLAB_URL, BITBUCKET_SERVER_URL) are read from it.
  const groups = new Map<string, { env: Record<string, string>; cases: [StackFileCase, string][] }>();
  CASES.forEach((c, i) => {
    const key = JSON.stringify(c.env ?? {});
    const group = groups.get(key) ?? { env: { ...(c.env ?? {}) }, cases: [] };
    group.cases.push([c, files[i]!]);
    groups.set(key, group);
  });

  it.each([...groups.values()].map((g) => [JSON.stringify(g.env), g] as const))(
    "environment %s: every file's problems, and exit 1 when any has one",
    async (_env, group) => {
      const result = await run(["check", ...group.cases.map(([, file]) => file)], group.env);
      expect(result.stderr).toBe("");
      const blocks = report(result.stdout);
      for (const [c, file] of group.cases) {
        const block = blocks.get(file);
        expect(block, c.name).toBeDefined();
        expect(block!.problems, c.name).toEqual(c.problems);
        if (c.problems.length === 0)
          expect(block!.header, c.name).toMatch(/^ok \(project sourcegraph-webhooks, /);
      }
      expect(result.code).toBe(group.cases.some(([c]) => c.problems.length > 0) ? 1 : 0);
      for (const cipher of Object.keys(DECRYPTED)) expect(result.stdout).not.toContain(cipher.slice(3, 15));
    },
  );
});

describe("exit codes and what is said", () => {
  const valid = CASES[0]!;
  const stackDir = (files: Record<string, string>) => {
    const d = mkdtempSync(join(dir, "stack-"));
    for (const [name, text] of Object.entries(files)) writeFileSync(join(d, name), text);
    return d;
  };

  it("0 for valid files, with what they declare", async () => {
    const d = stackDir({ "Pulumi.yaml": "name: sourcegraph-webhooks\n", "Pulumi.prod.yaml": valid.yaml });
    const result = await run(["check", join(d, "Pulumi.prod.yaml")]);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(
      `${join(d, "Pulumi.prod.yaml")}: ok (project sourcegraph-webhooks, 4 connections, 7 hooks)\n`,
    );
  });

  it("2 for a file that cannot be read or is not a stack file, the others still checked", async () => {
    const d = stackDir({
      "Pulumi.yaml": "name: sourcegraph-webhooks\n",
      "Pulumi.ok.yaml": valid.yaml,
      "Pulumi.bad.yaml": "config: [\n  token: made-up-token-value-for-tests",
      "Pulumi.other.yaml": "config:\n  other:gitlab:\n    - projects: [1]\n",
    });
    const result = await run([
      "check",
      join(d, "Pulumi.missing.yaml"),
      join(d, "Pulumi.bad.yaml"),
      join(d, "Pulumi.other.yaml"),
      join(d, "Pulumi.ok.yaml"),
    ]);
    expect(result.code).toBe(2);
    expect(result.stdout).toContain("Pulumi.ok.yaml: ok");
    expect(result.stderr).toContain("error: cannot read the stack file");
    expect(result.stderr).toMatch(/Pulumi\.bad\.yaml is not valid YAML \(line \d+\); fix the file/);
    expect(result.stderr).toContain('declares nothing under the project "sourcegraph-webhooks"');
    expect(result.stderr).not.toContain("made-up-token-value-for-tests");
  });

  it("--project names the namespace when no Pulumi.yaml says it", async () => {
    const d = stackDir({ "Pulumi.dev.yaml": "config:\n  other:gitlab:\n    - projects: [1]\n" });
    expect((await run(["check", join(d, "Pulumi.dev.yaml")])).code).toBe(2);
    const result = await run(["check", "--project", "other", join(d, "Pulumi.dev.yaml")]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("ok (project other, 1 connection, 1 hook)");
  });

  it("2 without a file", async () => {
    const result = await run(["check"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("missing required argument 'files'");
  });

  it("encrypted values: accepted as present, never printed; what cannot be checked is noted", async () => {
    const cipher = "v1:c2VjcmV0bm9uY2U=:VGhpc0lzVGhlQ2lwaGVydGV4dE9mQVByb2plY3RQYXRo";
    const d = stackDir({
      "Pulumi.yaml": "name: sourcegraph-webhooks\n",
      "Pulumi.enc.yaml": `config:
  sourcegraph-webhooks:gitlab:
    - projects:
        - secure: ${cipher}
      token:
        secure: ${cipher}
  sourcegraph-webhooks:relay:
    secure: ${cipher}
`,
    });
    const result = await run(["check", join(d, "Pulumi.enc.yaml")]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(
      "note: sourcegraph-webhooks:gitlab[0].projects[0]: encrypted, so checked as present only (its value is never read)",
    );
    expect(result.stdout).toContain("note: sourcegraph-webhooks:relay: encrypted as a whole, so not checked");
    expect(result.stdout).not.toContain("token");
    expect(result.stdout).not.toContain(cipher.slice(3));
    expect(result.stdout).not.toContain(String(cipher.length));
  });
});
