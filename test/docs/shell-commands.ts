// The commands a shell block of the documentation runs, and the checks that they exist: an
// `sg-webhooks` invocation is parsed by the CLI's own commander tree, a `pulumi` one is looked up
// in the Pulumi CLI's subcommands (and, for `up` and `preview`, its flags). The documentation and
// the GitOps pipelines' scripts are checked with the same helpers.
import { execFile } from "node:child_process";
import * as path from "node:path";
import type { Command } from "commander";
import { ROOT } from "./markdown";

/** Shell words that may start a command line without being the command (`for` and `case` are not read). */
const RESERVED = new Set([
  "if",
  "then",
  "elif",
  "else",
  "fi",
  "do",
  "done",
  "while",
  "until",
  "!",
  "{",
  "}",
  "time",
]);

/**
 * The simple commands of a shell script, each as its words with quotes removed. Enough shell for
 * documentation: quotes, escapes, line continuations, comments, `;`, `&&`, `||`, `|`, `&`, groups
 * and redirections (whose targets are not words of the command). `sh -c SCRIPT` is read too.
 */
export function simpleCommands(script: string): string[][] {
  const commands: string[][] = [];
  let words: string[] = [];
  let word: string | undefined;
  let redirect = false;
  const endWord = () => {
    if (word === undefined) return;
    // `if`, `then`, `do`, `!`, `{`… open a command without being it: `if sg-webhooks check f; then`
    // runs sg-webhooks. (A reserved word in quotes is a word, but no command here begins with one.)
    const opener = words.length === 0 && RESERVED.has(word);
    if (redirect) redirect = false;
    else if (!opener && (words.length > 0 || !/^[A-Za-z_][A-Za-z0-9_]*=/.test(word))) words.push(word);
    word = undefined;
  };
  const endCommand = () => {
    endWord();
    if (words.length > 0) commands.push(words);
    words = [];
  };
  for (let i = 0; i < script.length; i++) {
    const c = script[i]!;
    if (c === "\\" && script[i + 1] === "\n") {
      i++;
    } else if (c === "\\") {
      word = (word ?? "") + (script[i + 1] ?? "");
      i++;
    } else if (c === "'") {
      const end = script.indexOf("'", i + 1);
      word = (word ?? "") + script.slice(i + 1, end);
      i = end;
    } else if (c === '"') {
      let j = i + 1;
      let s = "";
      for (; j < script.length && script[j] !== '"'; j++) {
        if (script[j] === "\\" && '"\\$`'.includes(script[j + 1] ?? "")) j++;
        s += script[j];
      }
      word = (word ?? "") + s;
      i = j;
    } else if (c === "#" && word === undefined) {
      while (i + 1 < script.length && script[i + 1] !== "\n") i++;
    } else if (c === ">" || c === "<") {
      if (word !== undefined && /^\d+$/.test(word)) word = undefined;
      endWord();
      if (script[i + 1] === ">" || script[i + 1] === "&") i++;
      if (/\d/.test(script[i + 1] ?? "")) i++;
      else redirect = true;
    } else if (" \t".includes(c)) {
      endWord();
    } else if ("\n;&|()".includes(c)) {
      endCommand();
    } else {
      word = (word ?? "") + c;
    }
  }
  endCommand();
  // `sh -c '…'` and `bash -c '…'` run a script of their own.
  for (const cmd of [...commands]) {
    cmd.forEach((w, k) => {
      if ((w === "sh" || w === "bash") && cmd[k + 1] === "-c" && cmd[k + 2] !== undefined)
        commands.push(...simpleCommands(cmd[k + 2]!));
    });
  }
  return commands;
}

/** The arguments given to sg-webhooks, if the command runs it (installed, through npx, or from a clone). */
export function sgWebhooksArgs(command: string[]): string[] | undefined {
  const words = command[0] === "exec" ? command.slice(1) : command;
  if (words.length === 0) return undefined;
  if (path.basename(words[0]!) === "sg-webhooks") return words.slice(1);
  if (words[0] === "npx" && words[1] === "sg-webhooks") return words.slice(2);
  if (words[0] === "node" && words[1]?.endsWith("dist/src/cli/main.js")) return words.slice(2);
  return undefined;
}

/** bash -n on one script: its complaint, or undefined. */
export function bashSyntax(script: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    const child = execFile("bash", ["-n"], (err, _out, stderr) =>
      resolve(err ? stderr.trim() || err.message : undefined),
    );
    child.stdin!.end(script);
  });
}

/** One simple command of a script, and where the script is written (`file:line`). */
export interface ShellCommand {
  where: string;
  words: string[];
}

export interface CommandCheck {
  /** How many invocations were checked: a check that found none proves nothing. */
  checked: number;
  problems: string[];
}

/** Every sg-webhooks invocation among `commands`, parsed by the CLI's own commander tree. */
export async function sgWebhooksProblems(commands: readonly ShellCommand[]): Promise<CommandCheck> {
  const runs = commands.flatMap(({ where, words }) => {
    const args = sgWebhooksArgs(words);
    return args ? [{ where, args }] : [];
  });
  const problems: string[] = [];
  for (const { where, args } of runs) {
    const { error } = await parseWithCli(args);
    if (error) problems.push(`${where}: sg-webhooks ${args.join(" ")}: ${error}`);
  }
  return { checked: runs.length, problems };
}

/** Every pulumi invocation among `commands`, looked up in the Pulumi CLI's commands and flags. */
export function pulumiProblems(commands: readonly ShellCommand[]): CommandCheck {
  const runs = commands.filter(({ words }) => words[0] === "pulumi");
  const problems = runs.flatMap(({ where, words }) => {
    const problem = pulumiProblem(words.slice(1));
    return problem ? [`${where}: ${problem}`] : [];
  });
  return { checked: runs.length, problems };
}

export interface CliRun {
  /** What the CLI printed on stdout (help and version text). */
  output: string;
  /** Commander's complaint (unknown command or option, missing value, extra argument), if any. */
  error?: string;
}

/**
 * Parses `args` with the shipped CLI's commander tree, every action replaced by a no-op: a real
 * command with real flags parses; anything else is refused with commander's own message. Help is
 * printed at 80 columns, without colours, as in a pipe.
 */
export async function parseWithCli(args: string[]): Promise<CliRun> {
  const { buildCli } = require(path.join(ROOT, "dist/src/cli/main.js")) as { buildCli(): Command };
  let output = "";
  let error: string | undefined;
  const quiet = (cmd: Command) => {
    cmd.exitOverride();
    cmd.configureOutput({
      writeOut: (s) => {
        output += s;
      },
      writeErr: () => {},
      getOutHelpWidth: () => 80,
      getOutHasColors: () => false,
    });
    if (cmd.commands.length === 0) cmd.action(() => {});
    for (const sub of cmd.commands) quiet(sub);
  };
  const program = buildCli();
  quiet(program);
  try {
    await program.parseAsync(args, { from: "user" });
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code !== "commander.helpDisplayed" && code !== "commander.version") error = (err as Error).message;
  }
  return { output, error };
}

/**
 * The Pulumi CLI's subcommands (v3), with the second level of the groups whose subcommands the
 * documentation uses. The Pulumi CLI cannot run here, so this list stands in for `pulumi --help`.
 */
const PULUMI: Record<string, readonly string[] | null> = {
  about: null,
  ai: null,
  cancel: null,
  config: ["cp", "env", "get", "refresh", "rm", "rm-all", "set", "set-all"],
  console: null,
  convert: null,
  deployment: null,
  destroy: null,
  env: null,
  "gen-completion": null,
  help: null,
  import: null,
  install: null,
  login: null,
  logout: null,
  logs: null,
  new: null,
  org: null,
  package: null,
  plugin: ["install", "ls", "rm", "run"],
  policy: null,
  preview: null,
  refresh: null,
  schema: null,
  stack: [
    "change-secrets-provider",
    "export",
    "graph",
    "history",
    "import",
    "init",
    "ls",
    "output",
    "rename",
    "rm",
    "select",
    "tag",
    "unselect",
  ],
  state: [
    "delete",
    "edit",
    "move",
    "protect",
    "rename",
    "repair",
    "taint",
    "unprotect",
    "untaint",
    "upgrade",
  ],
  template: null,
  up: null,
  version: null,
  watch: null,
  whoami: null,
};

/** Flags every Pulumi command takes (`pulumi --help`, "Global Flags"). */
const PULUMI_GLOBAL_FLAGS = [
  "--color",
  "-C",
  "--cwd",
  "--disable-integrity-checking",
  "-e",
  "--emoji",
  "-Q",
  "--fully-qualify-stack-names",
  "--logflow",
  "--logtostderr",
  "--non-interactive",
  "--profiling",
  "--tracing",
  "-v",
  "--verbose",
  "-h",
  "--help",
];

/** Flags of `pulumi up` and `pulumi preview` (v3 `--help`): the commands pipelines run unattended. */
const PULUMI_UPDATE_FLAGS = [
  "-c",
  "--config",
  "--config-file",
  "--config-path",
  "-d",
  "--debug",
  "--diff",
  "--exclude",
  "--expect-no-changes",
  "-j",
  "--json",
  "-m",
  "--message",
  "-p",
  "--parallel",
  "--policy-pack",
  "--policy-pack-config",
  "-r",
  "--refresh",
  "--replace",
  "--secrets-provider",
  "--show-config",
  "--show-reads",
  "--show-replacement-steps",
  "--show-sames",
  "--show-secrets",
  "-s",
  "--stack",
  "--suppress-outputs",
  "--suppress-permalink",
  "--suppress-progress",
  "-t",
  "--target",
  "--target-dependents",
  "--target-replace",
];

/**
 * The flags of the commands whose flags are checked. Others' flags are not: the table stands in for
 * `pulumi <command> --help`, which cannot run here. A flag missing from it that the help lists is
 * added here, not removed from the documentation.
 */
const PULUMI_FLAGS: Record<string, readonly string[]> = {
  up: [...PULUMI_UPDATE_FLAGS, "-y", "--yes", "-f", "--skip-preview", "--continue-on-error", "--plan"],
  preview: [...PULUMI_UPDATE_FLAGS, "--save-plan", "--import-file"],
};

/** Why `pulumi <args>` is not a Pulumi command, or undefined when it is one. */
export function pulumiProblem(args: string[]): string | undefined {
  const [sub, second] = args.filter((a) => !a.startsWith("-"));
  if (sub === undefined) return undefined;
  if (!(sub in PULUMI)) return `"pulumi ${sub}" is not a Pulumi CLI command`;
  const group = PULUMI[sub];
  if (group && second !== undefined && !group.includes(second))
    return `"pulumi ${sub} ${second}" is not a Pulumi CLI command`;
  const flags = PULUMI_FLAGS[sub];
  const unknown = flags
    ? args
        .filter((a) => a.startsWith("-") && a !== "--")
        .map((a) => a.split("=", 1)[0]!)
        .filter((f) => !flags.includes(f) && !PULUMI_GLOBAL_FLAGS.includes(f))
    : [];
  if (unknown.length > 0) return `"pulumi ${sub}" has no flag ${unknown.join(", ")}`;
  return undefined;
}
