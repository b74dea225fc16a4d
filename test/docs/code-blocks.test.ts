// Proves the code blocks of README.md, docs/ and the examples' READMEs work as shown.
// TypeScript type-checks against the package, YAML and JSON parse, shell is valid bash that runs real
// sg-webhooks commands and flags and real pulumi subcommands, and shown CLI output is what the CLI prints.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { parse, parseAllDocuments } from "yaml";
import { readDeclaration } from "../../src/program/config";
import { type CodeBlock, codeBlocks, documentationFiles, ROOT, read } from "./markdown";
import {
  bashSyntax,
  parseWithCli,
  pulumiProblem,
  pulumiProblems,
  type ShellCommand,
  sgWebhooksArgs,
  sgWebhooksProblems,
  simpleCommands,
} from "./shell-commands";
import { typecheckBlocks } from "./typecheck";

const BLOCKS = documentationFiles().flatMap((file) => codeBlocks(file, read(file)));
const at = (b: CodeBlock, line = b.line) => `${b.file}:${line}`;
const of = (...langs: string[]) => BLOCKS.filter((b) => langs.includes(b.lang));

const TYPESCRIPT = ["ts", "typescript"];
const SHELL = ["bash", "sh", "shell"];
/** Languages nothing here can check: shown as they are (systemd units, alert queries, program output); "" is output too. */
const UNCHECKED = ["text", "ini", "dockerfile", "promql", ""];

/** Shell lines of a block: a console block's `$ ` commands (with their continuation lines), or all of it. */
function shellOf(b: CodeBlock): string {
  return b.lang === "console"
    ? consoleSteps(b)
        .map((s) => s.command)
        .join("\n")
    : b.content;
}

interface ConsoleStep {
  command: string;
  expected: string;
  line: number;
}

/** `$ command` lines, each followed by the output it prints. */
function consoleSteps(b: CodeBlock): ConsoleStep[] {
  const steps: ConsoleStep[] = [];
  const lines = b.content.split("\n");
  for (let i = 0; i < lines.length; i++) {
    if (!lines[i]!.startsWith("$ ")) {
      if (steps.length === 0) throw new Error(`${at(b, b.line + i)}: a console block starts with "$ "`);
      steps[steps.length - 1]!.expected += `${lines[i]}\n`;
      continue;
    }
    let command = lines[i]!.slice(2);
    const line = b.line + i;
    while (command.endsWith("\\") && i + 1 < lines.length) command += `\n${lines[++i]}`;
    steps.push({ command, expected: "", line });
  }
  return steps;
}

const block = (content: string, lang = "ts"): CodeBlock => ({
  file: "canary.md",
  line: 1,
  lang,
  attributes: [],
  content,
});

/** Blocks that no longer match the API, checked in the same program to prove the check fails on them. */
const CANARIES = [
  block(
    'import { SourcegraphReceiver } from "pulumi-sourcegraph-webhooks";\nnew SourcegraphReceiver("r", { codeHostKind: "GITHUB" });',
  ),
  block(
    'import { verifyDelivery } from "pulumi-sourcegraph-webhooks/ingest";\nverifyDelivery({ kind: "GITHUB" });',
  ),
  block(
    'import { events } from "pulumi-sourcegraph-webhooks";\nconst push: string[] = [...events.github.push];',
  ),
];

/** One TypeScript program for every block of the documentation and the canaries (it takes seconds). */
let diagnostics: ReturnType<typeof typecheckBlocks> | undefined;
function typecheckAll(): ReturnType<typeof typecheckBlocks> {
  const checked = of(...TYPESCRIPT).filter((b) => !b.attributes.includes("fragment"));
  diagnostics ??= typecheckBlocks([...checked, ...CANARIES]);
  return diagnostics;
}

/** Every simple command of every shell and console block, with where it is written. */
const COMMANDS: ShellCommand[] = [...of(...SHELL), ...of("console")].flatMap((b) =>
  simpleCommands(shellOf(b)).map((words) => ({ where: at(b), words })),
);

/** Random ports and the temporary directory differ on every run; everything else must match. */
function normalizeSandbox(text: string): string {
  return text
    .replace(/127\.0\.0\.1:\d+/g, "127.0.0.1:<port>")
    .replace(/\S*\/Pulumi\.sandbox\.yaml/g, "<dir>/Pulumi.sandbox.yaml")
    .trimEnd();
}

/** What `sg-webhooks sandbox` prints up to the point where it waits for deliveries. */
async function sandboxBanner(args: string[]): Promise<string> {
  const dir = mkdtempSync(path.join(tmpdir(), "sg-docs-sandbox-"));
  // The sandbox runs until a signal: it sends itself SIGTERM after 30 s, should this test die first.
  const selfStop = 'data:text/javascript,setTimeout(()=>process.kill(process.pid,"SIGTERM"),30000).unref()';
  const cli = path.join(ROOT, "dist/src/cli/main.js");
  const child = spawn(process.execPath, ["--import", selfStop, cli, ...args, "--dir", dir], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the sandbox printed no banner:\n${out}`)), 20_000);
      child.stdout.on("data", (d) => {
        out += String(d);
        if (/Ctrl-C/.test(out)) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.on("exit", (code) => reject(new Error(`the sandbox exited (${code}):\n${out}`)));
    });
  } finally {
    child.kill("SIGTERM");
    rmSync(dir, { recursive: true, force: true });
  }
  return out.slice(0, out.indexOf("\n", out.search(/Ctrl-C/)) + 1);
}

describe("code blocks in README.md, docs/ and the examples' READMEs", () => {
  it("say what they hold: a language this test knows, and no command hidden in an unchecked block", () => {
    const known = [...TYPESCRIPT, ...SHELL, "console", "yaml", "yml", "json", ...UNCHECKED];
    const unknown = BLOCKS.filter((b) => !known.includes(b.lang)).map((b) => `${at(b)}: "${b.lang}"`);
    expect(unknown).toEqual([]);
    // Output may go unlabelled or as text; a command there would escape every check below.
    const hidden = of("", "text")
      .filter((b) => /^\s*(\$ |(sg-webhooks|npx|npm|pulumi|node|export) )/.test(b.content))
      .map((b) => `${at(b)}: label it bash (commands) or console ($ command, then its output)`);
    expect(hidden).toEqual([]);
    expect(of(...TYPESCRIPT).length).toBeGreaterThan(10);
  });

  it("TypeScript type-checks against the package's own types (one program, every block a module)", () => {
    const blocks = of(...TYPESCRIPT);
    const fragments = blocks.filter((b) => b.attributes.includes("fragment"));
    // A fragment is not checked at all: write whole programs, and keep fragments for the rare excerpt.
    expect(fragments.map((b) => at(b)).length, "fragments").toBeLessThanOrEqual(3);
    const problems = typecheckAll().filter((p) => !CANARIES.includes(p.block));
    expect(problems.map((p) => `${at(p.block, p.line)}: ${p.message}`)).toEqual([]);
  });

  it("YAML and JSON parse", () => {
    const problems: string[] = [];
    for (const b of of("yaml", "yml"))
      for (const doc of parseAllDocuments(b.content))
        for (const e of doc.errors)
          problems.push(`${at(b, b.line + (e.linePos?.[0].line ?? 1) - 1)}: ${e.message}`);
    for (const b of of("json")) {
      try {
        JSON.parse(b.content);
      } catch (err) {
        problems.push(`${at(b)}: ${(err as Error).message}`);
      }
    }
    expect(problems).toEqual([]);
  });

  it("stack files (YAML with sourcegraph-webhooks: config keys) are valid for the root program", () => {
    const stackFiles = of("yaml", "yml").filter((b) => /^\s+sourcegraph-webhooks:/m.test(b.content));
    expect(stackFiles.length).toBeGreaterThan(0);
    const problems: string[] = [];
    for (const b of stackFiles) {
      const { config } = parse(b.content) as { config: Record<string, unknown> };
      // The engine hands the program every value as a string, objects and lists as JSON.
      const all = Object.fromEntries(Object.entries(config).map(([k, v]) => [k, JSON.stringify(v)]));
      try {
        readDeclaration("sourcegraph-webhooks", all);
      } catch (err) {
        problems.push(`${at(b)}: ${(err as Error).message}`);
      }
    }
    expect(problems).toEqual([]);
  });

  it("shell blocks pass bash -n", async () => {
    const blocks = [...of(...SHELL), ...of("console")];
    const verdicts = await Promise.all(blocks.map((b) => bashSyntax(shellOf(b))));
    const problems = blocks.flatMap((b, i) => (verdicts[i] ? [`${at(b)}: ${verdicts[i]}`] : []));
    expect(problems).toEqual([]);
  });

  it("every sg-webhooks invocation names a real command and real flags (the CLI's own parser)", async () => {
    const { checked, problems } = await sgWebhooksProblems(COMMANDS);
    expect(checked).toBeGreaterThan(5);
    expect(problems).toEqual([]);
  });

  it("every pulumi invocation is a Pulumi CLI command (and up and preview take its flags)", () => {
    const { checked, problems } = pulumiProblems(COMMANDS);
    expect(checked).toBeGreaterThan(5);
    expect(problems).toEqual([]);
  });

  it("console blocks show what the CLI prints today, where it can run here (help, version, the sandbox's banner)", async () => {
    const steps = of("console").flatMap((b) => consoleSteps(b).map((s) => ({ block: b, ...s })));
    let compared = 0;
    for (const step of steps) {
      const where = at(step.block, step.line);
      const [words, ...more] = simpleCommands(step.command);
      const args = words && more.length === 0 ? sgWebhooksArgs(words) : undefined;
      // Other commands (curl against a running relay, dlq list on a real store) need what this
      // machine does not have; their syntax, flags and subcommands are checked above.
      if (args === undefined) continue;
      if (args[0] === "sandbox" && !args.some((a) => ["--help", "-h"].includes(a))) {
        expect(normalizeSandbox(await sandboxBanner(args)), where).toBe(normalizeSandbox(step.expected));
        compared++;
      } else if (args.some((a) => ["--help", "-h", "--version", "-V"].includes(a)) || args[0] === "help") {
        const run = await parseWithCli(args);
        expect(run.error, where).toBeUndefined();
        expect(run.output.trimEnd(), where).toBe(step.expected.trimEnd());
        compared++;
      }
    }
    expect(compared).toBeGreaterThan(5);
  });
});

describe("the checks above catch what they exist to catch", () => {
  it("a TypeScript block that no longer matches the API", () => {
    const problems = typecheckAll().filter((p) => CANARIES.includes(p.block));
    expect([...new Set(problems.map((p) => CANARIES.indexOf(p.block)))]).toEqual([0, 1]);
    expect(problems[0]!.message).toContain("codeHostUrn");
  });

  it("an unknown sg-webhooks command, flag or stray argument, and a missing value", async () => {
    expect(
      (
        await parseWithCli([
          "serve",
          "--forward-to",
          "http://sg",
          "--data-dir",
          "d",
          "--listen",
          "0.0.0.0:8080",
        ])
      ).error,
    ).toBeUndefined();
    expect(
      (await parseWithCli(["dlq", "replay", "--data-dir", "d", "--id", "4", "5"])).error,
    ).toBeUndefined();
    expect(
      (await parseWithCli(["serve", "--forward-to", "http://sg", "--data-dir", "d", "--listne", "x"])).error,
    ).toMatch(/unknown option '--listne'/);
    expect((await parseWithCli(["dlq", "prune"])).error).toMatch(/unknown command .prune./);
    expect((await parseWithCli(["sandbox", "extra"])).error).toMatch(/too many arguments/);
    expect((await parseWithCli(["serve", "--data-dir"])).error).toMatch(/argument missing/);
    expect((await parseWithCli(["dlq", "list", "--help"])).output).toMatch(/^Usage: sg-webhooks dlq list/);
  });

  it("shown output that differs from the CLI's in anything but the sandbox's ports and directory", async () => {
    const banner = (port: number, token: string, dir: string) =>
      `gitlab: http://127.0.0.1:${port}  (token ${token})\nstack config:     ${dir}/Pulumi.sandbox.yaml\n`;
    expect(normalizeSandbox(banner(1, "a", "/x"))).toBe(normalizeSandbox(banner(2, "a", "/home/y")));
    expect(normalizeSandbox(banner(1, "a", "/x"))).not.toBe(normalizeSandbox(banner(1, "b", "/x")));
    // Help is captured whole, as printed: the comparison above sees every line of it.
    const help = (await parseWithCli(["dlq", "list", "--help"])).output;
    expect(help).toMatch(
      /^Usage: sg-webhooks dlq list \[options\]\n[\s\S]*--data-dir <dir>[\s\S]*-h, --help/,
    );
  });

  it("a pulumi subcommand that does not exist, and a flag up or preview does not take", () => {
    expect(pulumiProblem(["up", "-s", "prod", "--yes"])).toBeUndefined();
    expect(pulumiProblem(["up", "--refresh", "--yes", "--stack=prod", "--non-interactive"])).toBeUndefined();
    expect(pulumiProblem(["stack", "output", "--show-secrets", "receivers"])).toBeUndefined();
    expect(pulumiProblem(["upp"])).toMatch(/not a Pulumi CLI command/);
    expect(pulumiProblem(["stack", "outputs"])).toMatch(/"pulumi stack outputs"/);
    expect(pulumiProblem(["up", "--refersh", "--yes"])).toBe('"pulumi up" has no flag --refersh');
    expect(pulumiProblem(["preview", "--yes"])).toBe('"pulumi preview" has no flag --yes');
  });

  it("shell: the commands a script runs, through quotes, continuations, pipes, redirections and sh -c", async () => {
    expect(
      simpleCommands(
        "export A=1 B='x y'  # comment\nFOO=bar sg-webhooks serve \\\n  --listen \"0.0.0.0:8080\" > out.log 2>&1 && echo ok | tee f\n" +
          "docker run img sh -c 'npm i -g /p.tgz && exec sg-webhooks dlq list --data-dir /data'",
      ),
    ).toEqual([
      ["export", "A=1", "B=x y"],
      ["sg-webhooks", "serve", "--listen", "0.0.0.0:8080"],
      ["echo", "ok"],
      ["tee", "f"],
      ["docker", "run", "img", "sh", "-c", "npm i -g /p.tgz && exec sg-webhooks dlq list --data-dir /data"],
      ["npm", "i", "-g", "/p.tgz"],
      ["exec", "sg-webhooks", "dlq", "list", "--data-dir", "/data"],
    ]);
    // A command opened by a reserved word is still that command.
    expect(
      simpleCommands(
        "if ! sg-webhooks doctor --config f; then\n  echo failed\nelse { pulumi up; }; fi\nwhile true; do x=$(pulumi version); done",
      ),
    ).toEqual([
      ["sg-webhooks", "doctor", "--config", "f"],
      ["echo", "failed"],
      ["pulumi", "up"],
      ["true"],
      ["pulumi", "version"],
    ]);
    expect(await bashSyntax("if then fi")).toMatch(/syntax error/);
  });
});
