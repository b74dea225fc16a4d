// Proves `sg-webhooks diff` as users run it: its three formats, exit 0/1/2, --base-ref from git, and no secret or ciphertext in any output.
// The built CLI runs in a child process with no credential in its environment.
import { execFile, execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";

const MAIN = join(__dirname, "..", "..", "dist", "src", "cli", "main.js");
const root = mkdtempSync(join(tmpdir(), "sg-diff-cli-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function run(args: string[], options: { cwd?: string; env?: Record<string, string> } = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [MAIN, ...args],
      {
        cwd: options.cwd ?? root,
        env: { HOME: root, PATH: process.env.PATH ?? "", ...options.env },
        timeout: 20_000,
      },
      (err, stdout, stderr) =>
        resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

/** Writes files under a new directory (paths may hold folders); the directory. */
function tree(files: Record<string, string>): string {
  const dir = mkdtempSync(join(root, "t-"));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return dir;
}

const PROJECT_FILE = "name: sourcegraph-webhooks\nruntime: nodejs\n";
// Ciphertexts of different lengths, so that a printed length could not hide as the other's.
const SECRET_BEFORE = "v1:QmFzZU5vbmNlMTIz:QmFzZUNpcGhlcnRleHRPZlRoZVNoYXJlZFNlY3JldA==";
const SECRET_AFTER = "v1:SGVhZE5vbmNlOTg3:SGVhZENpcGhlcnRleHRPZlRoZVJvdGF0ZWRTaGFyZWRTZWNyZXRYeXo=";
const TOKEN_BEFORE = "v1:VG9rZW5Ob25jZUE=:VG9rZW5DaXBoZXJ0ZXh0QmVmb3Jl";
const TOKEN_AFTER = "v1:VG9rZW5Ob25jZUI=:VG9rZW5DaXBoZXJ0ZXh0QWZ0ZXJBbmRMb25nZXI=";

const stack = (secret: string, token: string, extra = "") => `config:
  sourcegraph-webhooks:gitlab:
    - url: https://gitlab.example.com
      projects: [platform/api, platform/web]${extra}
      secret:
        secure: ${secret}
      token:
        secure: ${token}
`;

describe("formats and exit codes", () => {
  const dir = tree({
    "Pulumi.yaml": PROJECT_FILE,
    "Pulumi.base.yaml": stack(SECRET_BEFORE, TOKEN_BEFORE),
    "Pulumi.head.yaml": stack(SECRET_AFTER, TOKEN_AFTER, "\n      enableSslVerification: false"),
    "Pulumi.same.yaml": stack(SECRET_BEFORE, TOKEN_BEFORE),
    "Pulumi.bad.yaml": "config:\n  sourcegraph-webhooks:gitlab:\n    - projects: []\n",
  });
  const base = join(dir, "Pulumi.base.yaml");
  const head = join(dir, "Pulumi.head.yaml");

  it("a secret change in every format: said, with how many hooks get it; no ciphertext, part of one, or length", async () => {
    const formats = ["text", "markdown", "json"];
    const results = await Promise.all(
      formats.map((format) => run(["diff", "--base", base, "--head", head, "--format", format])),
    );
    const outputs = results.map((result, i) => {
      expect(result.code, formats[i]).toBe(0);
      expect(result.stderr, formats[i]).toBe("");
      expect(result.stdout, formats[i]).toContain(
        "the encrypted secret of gitlab/gitlab.example.com changed: its receiver and 2 hooks will get the new value",
      );
      return result.stdout;
    });
    for (const cipher of [SECRET_BEFORE, SECRET_AFTER, TOKEN_BEFORE, TOKEN_AFTER]) {
      for (const part of [cipher, ...cipher.split(":").slice(1)]) {
        for (const out of outputs) {
          expect(out).not.toContain(part);
          expect(out).not.toMatch(new RegExp(`\\b${part.length}\\b`));
        }
      }
    }
  });

  it("json is the pinned shape and nothing else", async () => {
    const result = await run(["diff", "--base", base, "--head", head, "--format", "json"]);
    const parsed = JSON.parse(result.stdout) as { changes: Record<string, string>[] };
    expect(Object.keys(parsed)).toEqual(["changes"]);
    expect(parsed.changes.map((c) => Object.keys(c))).toEqual(
      parsed.changes.map(() => ["connection", "kind", "resource", "detail"]),
    );
    expect(parsed.changes.map((c) => c.kind)).toEqual([
      "tls_changed",
      "tls_changed",
      "secret_changed",
      "setting_changed",
    ]);
  });

  it("markdown: a heading, the summary, a warning for TLS turned off, a table per connection", async () => {
    const result = await run(["diff", "--base", base, "--head", head, "--format", "markdown"]);
    const lines = result.stdout.split("\n");
    expect(lines[0]).toBe(`### Webhook changes in \`${head}\``);
    expect(lines[2]).toBe(
      `**4 changes in 1 connection** compared with \`${base}\`: TLS verification changed on 2 hooks, 1 secret changed, 1 setting changed.`,
    );
    expect(result.stdout).toContain("> [!WARNING]\n> **2 changes need attention**");
    expect(result.stdout).toContain(
      "> - **Turns TLS verification off** in `gitlab/gitlab.example.com`: TLS verification is turned OFF",
    );
    expect(result.stdout).toContain(
      "#### `gitlab/gitlab.example.com`\n\n| change | resource | what happens |",
    );
    expect(result.stdout).toContain(
      "| **TLS changed** | `sourcegraph-gitlab-gitlab.example.com-project-platform/api` |",
    );
  });

  it("text: what needs attention first; 0 and a sentence when nothing changed", async () => {
    const changed = await run(["diff", "--base", base, "--head", head]);
    expect(changed.stdout).toMatch(
      /\n\nNEEDS ATTENTION \(2\):\n {2}! gitlab\/gitlab.example.com: turns TLS verification off: /,
    );
    const same = await run(["diff", "--base", base, "--head", join(dir, "Pulumi.same.yaml")]);
    expect(same.code).toBe(0);
    expect(same.stdout).toMatch(/^No webhook changes from /);
  });

  it("1 when a declaration has problems: listed in text and markdown, on stderr for json", async () => {
    const bad = join(dir, "Pulumi.bad.yaml");
    const text = await run(["diff", "--base", base, "--head", bad]);
    expect(text.code).toBe(1);
    expect(text.stdout).toContain(
      "sourcegraph-webhooks:gitlab[0]: declares no hook; set at least one of projects, groups",
    );
    const markdown = await run(["diff", "--base", base, "--head", bad, "--format", "markdown"]);
    expect(markdown.code).toBe(1);
    expect(markdown.stdout).toContain("is not a valid declaration**");
    const json = await run(["diff", "--base", bad, "--head", head, "--format", "json"]);
    expect(json.code).toBe(1);
    expect(json.stdout).toBe("");
    expect(json.stderr).toContain("declares no hook");
  });

  // Independent children: run side by side.
  it.concurrent.for<[string, string[], string]>([
    [
      "neither --base nor --base-ref",
      ["--head", "h.yaml"],
      "give exactly one of --base FILE and --base-ref GITREF",
    ],
    [
      "both",
      ["--base", "b.yaml", "--base-ref", "main", "--head", "h.yaml"],
      "give exactly one of --base FILE and --base-ref GITREF",
    ],
    ["no --head", ["--base", "b.yaml"], "required option '--head <file>' not specified"],
    [
      "an unknown format",
      ["--base", "b.yaml", "--head", "h.yaml", "--format", "html"],
      "Allowed choices are text, markdown, json",
    ],
    [
      "a base that cannot be read",
      ["--base", "/nonexistent/Pulumi.x.yaml", "--head", "HEAD_FILE"],
      "cannot read the stack file /nonexistent/Pulumi.x.yaml",
    ],
  ])("2 for %s", async ([_what, args, message], { expect }) => {
    const result = await run(["diff", ...args.map((a) => (a === "HEAD_FILE" ? head : a))]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(message);
  });
});

describe("--base-ref reads the base from git", () => {
  const git = (cwd: string, ...args: string[]) =>
    execFileSync("git", ["-c", "user.name=t", "-c", "user.email=t@example.com", ...args], {
      cwd,
      stdio: "pipe",
    });
  const repo = tree({
    "Pulumi.yaml": PROJECT_FILE,
    "Pulumi.root.yaml": stack(SECRET_BEFORE, TOKEN_BEFORE),
    "stacks/Pulumi.yaml": PROJECT_FILE,
    "stacks/Pulumi.prod.yaml": stack(SECRET_BEFORE, TOKEN_BEFORE),
  });
  git(repo, "init", "-q", "-b", "main");
  git(repo, "add", ".");
  git(repo, "commit", "-q", "-m", "base");
  writeFileSync(
    join(repo, "stacks/Pulumi.prod.yaml"),
    stack(SECRET_BEFORE, TOKEN_BEFORE).replace("platform/api, platform/web", "platform/web, platform/docs"),
  );
  writeFileSync(join(repo, "stacks/Pulumi.new.yaml"), stack(SECRET_BEFORE, TOKEN_BEFORE));

  it("at the head file's path in the commit, from any working directory", async () => {
    const result = await run(
      ["diff", "--base-ref", "main", "--head", "stacks/Pulumi.prod.yaml", "--format", "json"],
      {
        cwd: repo,
      },
    );
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    const changes = (JSON.parse(result.stdout) as { changes: { kind: string; resource: string }[] }).changes;
    expect(changes.map((c) => [c.kind, c.resource])).toEqual([
      ["hook_removed", "sourcegraph-gitlab-gitlab.example.com-project-platform/api"],
      ["hook_added", "sourcegraph-gitlab-gitlab.example.com-project-platform/docs"],
    ]);
    // A ref that is a commit hash, and a file at the root of the repository.
    const commit = git(repo, "rev-parse", "HEAD").toString().trim();
    const atRoot = await run(["diff", "--base-ref", commit, "--head", "Pulumi.root.yaml"], { cwd: repo });
    expect(atRoot.stderr).toBe("");
    expect(atRoot.stdout).toMatch(new RegExp(`^No webhook changes from ${commit}:Pulumi.root.yaml to `));
    const elsewhere = await run([
      "diff",
      "--base-ref",
      "main",
      "--head",
      join(repo, "stacks/Pulumi.prod.yaml"),
    ]);
    expect(elsewhere.stdout).toMatch(/^Webhook changes from main:stacks\/Pulumi.prod.yaml to /);
  });

  it.concurrent.for<[string, string, string, Record<string, string>, string]>([
    [
      "a ref git does not know",
      "nope",
      "stacks/Pulumi.prod.yaml",
      {},
      "git does not know the ref nope here; fetch it first",
    ],
    [
      "a file the ref does not have",
      "main",
      "stacks/Pulumi.new.yaml",
      {},
      "stacks/Pulumi.new.yaml does not exist at main",
    ],
    [
      "no git on PATH",
      "main",
      "stacks/Pulumi.prod.yaml",
      { PATH: "/nonexistent" },
      "--base-ref needs git, which is not installed or not on PATH",
    ],
  ])("2 for %s, saying what to do", async ([_what, ref, file, env, message], { expect }) => {
    const result = await run(["diff", "--base-ref", ref, "--head", file], { cwd: repo, env });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(message);
  });

  it("2 for a head file outside any repository", async () => {
    const outside = mkdtempSync(join(tmpdir(), "sg-diff-nogit-"));
    try {
      writeFileSync(join(outside, "Pulumi.yaml"), PROJECT_FILE);
      writeFileSync(join(outside, "Pulumi.prod.yaml"), stack(SECRET_BEFORE, TOKEN_BEFORE));
      const result = await run(["diff", "--base-ref", "main", "--head", join(outside, "Pulumi.prod.yaml")], {
        env: { GIT_CEILING_DIRECTORIES: dirname(outside) },
      });
      expect(result.code).toBe(2);
      expect(result.stderr).toContain("is not in a git repository");
    } finally {
      rmSync(outside, { recursive: true, force: true });
    }
  });
});
