// `--config Pulumi.<stack>.yaml`: the declaration the root program deploys, read from the stack file
// itself (the GitOps case: no Pulumi CLI, no state). The project name comes from the Pulumi.yaml
// beside it and the stack name from the file name, unless given. `secure:` values are never
// decrypted: an encrypted leaf reads as present while the config is checked (the program would see
// its decrypted value there), then is dropped, and the credentials it stood for come from the
// environment. `sg-webhooks check` and `diff` read stack files through here too.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import type { SourcegraphWebhooksArgs } from "../../components/args";
import { ConfigError, type ConfigProblem, checkConfig, configProblemText } from "../../program/config";
import { UsageError } from "./usage-error";

export interface StackFile {
  readonly project: string;
  readonly stack: string;
  readonly declaration: SourcegraphWebhooksArgs;
  /** Config paths whose values are `secure:` (encrypted), such as `gitlab[0].token`: never read. */
  readonly encrypted: readonly string[];
}

/** A `secure:` value of a stack file: where it is, and what tells one ciphertext from another. */
export interface EncryptedValue {
  /**
   * The config path without the project, such as `gitlab[0].token`, or a whole key such as
   * `sourcegraph`; another namespace's key keeps its namespace (`github:token`).
   */
  readonly path: string;
  /** True when a whole config key is encrypted: nothing inside it can be read. */
  readonly wholeKey: boolean;
  /**
   * SHA-256 of the ciphertext, to tell whether two files hold the same one. Never printed: it
   * says nothing of the value (every `pulumi config set --secret` encrypts it anew).
   */
  readonly digest: string;
}

/** A stack file's config, as the engine would hand it to the program, before any check. */
export interface StackConfig {
  /** The file as named on the command line (or `<ref>:<path>` for one read from git). */
  readonly file: string;
  readonly project: string;
  readonly stack: string;
  /**
   * Every config value as the engine passes it (a string; objects and lists as JSON). An encrypted
   * leaf holds a stand-in of its field's shape (`encrypted`, or a URL for URL fields), so that it
   * counts as present; an encrypted whole key is left out.
   */
  readonly config: Record<string, string>;
  readonly encrypted: readonly EncryptedValue[];
}

/** Reads a file's text; a file that cannot be read is a usage error naming `fix`. */
export function readText(file: string, what: string, fix: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new UsageError(`cannot read ${what} ${file} (${code ?? (err as Error).message}); ${fix}`);
  }
}

function parseYaml(text: string, file: string): unknown {
  try {
    return parse(text);
  } catch (err) {
    // The parser's message quotes the line it stopped at, which may hold a secret.
    const at = (err as { linePos?: Array<{ line: number }> }).linePos?.[0]?.line;
    throw new UsageError(`${file} is not valid YAML${at ? ` (line ${at})` : ""}; fix the file`);
  }
}

/** The project name: `given` (`--project`), else the `name` of the Pulumi.yaml beside the stack file. */
export function projectName(file: string, given: string | undefined): string {
  if (given) return given;
  const projectFile = path.join(path.dirname(file), "Pulumi.yaml");
  const doc = parseYaml(
    readText(projectFile, "the project file", "pass --project <name> (the name in Pulumi.yaml)"),
    projectFile,
  ) as { name?: unknown } | null;
  if (typeof doc?.name !== "string" || doc.name === "") {
    throw new UsageError(`${projectFile} has no name; pass --project <name>`);
  }
  return doc.name;
}

/** The stack name: `--stack`, else `<stack>` from `Pulumi.<stack>.yaml`. */
function stackName(file: string, given: string | undefined): string {
  if (given) return given;
  const m = /^Pulumi\.(.+)\.ya?ml$/.exec(path.basename(file));
  if (!m) throw new UsageError(`cannot tell the stack name from ${path.basename(file)}; pass --stack <name>`);
  return m[1]!;
}

const isSecure = (v: unknown): v is { secure: unknown } =>
  typeof v === "object" && v !== null && !Array.isArray(v) && Object.keys(v).length === 1 && "secure" in v;

const digestOf = (v: { secure: unknown }): string =>
  createHash("sha256").update(String(v.secure)).digest("hex");

/** What an encrypted leaf reads as: a value of its field's shape, so that it passes as present. */
function standIn(field: string): string {
  return /^(url|endpoint)$|Url$/.test(field) ? "https://encrypted.invalid" : "encrypted";
}

/** The value with its `secure:` leaves replaced by stand-ins, and the paths where they were. */
function standInEncrypted(value: unknown, at: string, field: string, found: EncryptedValue[]): unknown {
  if (isSecure(value)) {
    found.push({ path: at, wholeKey: false, digest: digestOf(value) });
    return standIn(field);
  }
  if (Array.isArray(value)) return value.map((v, i) => standInEncrypted(v, `${at}[${i}]`, field, found));
  if (typeof value !== "object" || value === null) return value;
  return Object.fromEntries(
    Object.entries(value).map(([k, v]) => [k, standInEncrypted(v, `${at}.${k}`, k, found)]),
  );
}

/**
 * A stack file's config from its text: the project's keys as the engine passes them. `file` names
 * it in messages and gives the stack name; the project is already known. Throws UsageError.
 */
export function parseStackConfig(
  text: string,
  options: { file: string; project: string; stack?: string },
): StackConfig {
  const { file, project } = options;
  const doc = parseYaml(text, file) as { config?: unknown } | null;
  const stack = stackName(file, options.stack);
  const config = doc?.config;
  if (typeof config !== "object" || config === null || Array.isArray(config)) {
    throw new UsageError(`${file} has no config: block; is it a Pulumi stack file?`);
  }
  const encrypted: EncryptedValue[] = [];
  const all: Record<string, string> = {};
  for (const [key, value] of Object.entries(config)) {
    const short = key.startsWith(`${project}:`) ? key.slice(project.length + 1) : key;
    if (isSecure(value)) {
      encrypted.push({ path: short, wholeKey: true, digest: digestOf(value) });
      continue;
    }
    // The engine hands the program every value as a string, objects and lists as JSON.
    all[key] =
      typeof value === "string" ? value : JSON.stringify(standInEncrypted(value, short, short, encrypted));
  }
  if (
    !Object.keys(all).some((k) => k.startsWith(`${project}:`)) &&
    !encrypted.some((e) => e.wholeKey && !e.path.includes(":"))
  ) {
    throw new UsageError(
      `${file} declares nothing under the project "${project}" (keys such as ${project}:gitlab); pass --project <name> if the project is named otherwise`,
    );
  }
  return { file, project, stack, config: all, encrypted };
}

/** Reads a stack file's config: its project from the Pulumi.yaml beside it unless given. Throws UsageError. */
export function loadStackConfig(
  file: string,
  options: { project?: string; stack?: string } = {},
): StackConfig {
  const text = readText(file, "the stack file", "pass the Pulumi.<stack>.yaml the root program deploys");
  return parseStackConfig(text, { file, project: projectName(file, options.project), stack: options.stack });
}

/** Whether a problem's key lies at or under one of the encrypted leaves (its stand-in was checked, not the value). */
function atEncrypted(problem: ConfigProblem, loaded: StackConfig): boolean {
  return loaded.encrypted.some((e) => {
    const key = `${loaded.project}:${e.path}`;
    return problem.key === key || problem.key.startsWith(`${key}.`) || problem.key.startsWith(`${key}[`);
  });
}

/**
 * The config checked as the root program checks it, with the same environment fallbacks. A problem
 * found at an encrypted leaf is about its stand-in, not its value: it is listed under `unchecked`.
 */
export function checkStackConfig(
  loaded: StackConfig,
  env: NodeJS.ProcessEnv = process.env,
): { declaration: SourcegraphWebhooksArgs; problems: ConfigProblem[]; unchecked: ConfigProblem[] } {
  const { declaration, problems } = checkConfig(loaded.project, loaded.config, env);
  return {
    declaration,
    problems: problems.filter((p) => !atEncrypted(p, loaded)),
    unchecked: problems.filter((p) => atEncrypted(p, loaded)),
  };
}

/** `gitlab[0].token` as `["gitlab", 0, "token"]`. */
function pathSegments(configPath: string): (string | number)[] {
  return [...configPath.matchAll(/([^.[\]]+)|\[(\d+)\]/g)].map((m) =>
    m[2] !== undefined ? Number(m[2]) : m[1]!,
  );
}

/** The declaration without the stand-ins of encrypted leaves: a stand-in is never used as a value. */
function withoutStandIns(
  args: SourcegraphWebhooksArgs,
  encrypted: readonly EncryptedValue[],
): SourcegraphWebhooksArgs {
  const copy = structuredClone(args) as Record<string | number, unknown>;
  // From the last to the first, so that removing a list entry does not move the others still to remove.
  for (const e of [...encrypted].reverse()) {
    if (e.wholeKey) continue;
    const segments = pathSegments(e.path);
    const last = segments.pop()!;
    let parent: unknown = copy;
    for (const s of segments) parent = (parent as Record<string | number, unknown> | undefined)?.[s];
    if (Array.isArray(parent) && typeof last === "number") parent.splice(last, 1);
    else if (typeof parent === "object" && parent !== null) delete (parent as Record<string, unknown>)[last];
  }
  return copy as SourcegraphWebhooksArgs;
}

/** Reads and validates a stack file with the root program's own rules. Throws UsageError. */
export function readStackFile(file: string, options: { project?: string; stack?: string } = {}): StackFile {
  const loaded = loadStackConfig(file, options);
  const { declaration, problems } = checkStackConfig(loaded);
  if (problems.length > 0) {
    throw new UsageError(`${file}: ${new ConfigError(problems.map(configProblemText)).message}`);
  }
  return {
    project: loaded.project,
    stack: loaded.stack,
    declaration: withoutStandIns(declaration, loaded.encrypted),
    encrypted: loaded.encrypted.map((e) => e.path),
  };
}
