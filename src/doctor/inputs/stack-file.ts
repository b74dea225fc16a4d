// `--config Pulumi.<stack>.yaml`: the declaration the root program deploys, read from the stack file
// itself (the GitOps case: no Pulumi CLI, no state). The project name comes from the Pulumi.yaml
// beside it and the stack name from the file name, unless given. `secure:` values are never
// decrypted: they are dropped before validation, and the credentials they stood for come from the
// environment.
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import type { SourcegraphWebhooksArgs } from "../../components/args";
import { ConfigError, readDeclaration } from "../../program/config";
import { UsageError } from "./usage-error";

export interface StackFile {
  readonly project: string;
  readonly stack: string;
  readonly declaration: SourcegraphWebhooksArgs;
  /** Config paths whose values are `secure:` (encrypted), such as `gitlab[0].token`: never read. */
  readonly encrypted: readonly string[];
}

function readText(file: string, what: string, fix: string): string {
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

/** The project name: `--project`, else the `name` of the Pulumi.yaml beside the stack file. */
function projectName(file: string, given: string | undefined): string {
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

const isSecure = (v: unknown): boolean =>
  typeof v === "object" && v !== null && !Array.isArray(v) && Object.keys(v).length === 1 && "secure" in v;

/** The value without its `secure:` leaves, and the paths where they were. */
function dropEncrypted(value: unknown, at: string, found: string[]): unknown {
  if (Array.isArray(value)) return value.map((v, i) => dropEncrypted(v, `${at}[${i}]`, found));
  if (typeof value !== "object" || value === null) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    if (isSecure(v)) {
      found.push(`${at}.${k}`);
      continue;
    }
    out[k] = dropEncrypted(v, `${at}.${k}`, found);
  }
  return out;
}

/** Reads and validates a stack file with the root program's own rules. Throws UsageError. */
export function readStackFile(file: string, options: { project?: string; stack?: string } = {}): StackFile {
  const doc = parseYaml(
    readText(file, "the stack file", "pass the Pulumi.<stack>.yaml the root program deploys"),
    file,
  ) as { config?: unknown } | null;
  const project = projectName(file, options.project);
  const stack = stackName(file, options.stack);
  const config = doc?.config;
  if (typeof config !== "object" || config === null || Array.isArray(config)) {
    throw new UsageError(`${file} has no config: block; is it a Pulumi stack file?`);
  }
  const encrypted: string[] = [];
  const all: Record<string, string> = {};
  for (const [key, value] of Object.entries(config)) {
    const short = key.startsWith(`${project}:`) ? key.slice(project.length + 1) : key;
    if (isSecure(value)) {
      encrypted.push(short);
      continue;
    }
    // The engine hands the program every value as a string, objects and lists as JSON.
    all[key] = typeof value === "string" ? value : JSON.stringify(dropEncrypted(value, short, encrypted));
  }
  if (!Object.keys(all).some((k) => k.startsWith(`${project}:`))) {
    throw new UsageError(
      `${file} declares nothing under the project "${project}" (keys such as ${project}:gitlab); pass --project <name> if the project is named otherwise`,
    );
  }
  try {
    return { project, stack, declaration: readDeclaration(project, all), encrypted };
  } catch (err) {
    if (err instanceof ConfigError) throw new UsageError(`${file}: ${err.message}`);
    throw new UsageError(`${file}: ${(err as Error).message}`);
  }
}
