// The commands a shell block of the documentation runs, and the checks that they exist: an
// `sg-webhooks` invocation is parsed by the CLI's own commander tree, a `pulumi` one is looked up
// in the Pulumi CLI's subcommands.
import * as path from "node:path";
import type { Command } from "commander";
import { ROOT } from "./markdown";

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
    if (redirect) redirect = false;
    else if (words.length > 0 || !/^[A-Za-z_][A-Za-z0-9_]*=/.test(word)) words.push(word);
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

/** Why `pulumi <args>` is not a Pulumi command, or undefined when it is one. */
export function pulumiProblem(args: string[]): string | undefined {
  const [sub, second] = args.filter((a) => !a.startsWith("-"));
  if (sub === undefined) return undefined;
  if (!(sub in PULUMI)) return `"pulumi ${sub}" is not a Pulumi CLI command`;
  const group = PULUMI[sub];
  if (group && second !== undefined && !group.includes(second))
    return `"pulumi ${sub} ${second}" is not a Pulumi CLI command`;
  return undefined;
}
