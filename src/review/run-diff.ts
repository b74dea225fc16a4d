// `sg-webhooks diff`: reads both declarations (the base from a file or from git), checks each as
// the root program would, and describes the change in the chosen format. Exit 0 with a description
// (empty or not), 1 when a declaration has problems (listed, in the chosen format where it has room
// for them), 2 for a usage error or an input that cannot be read (thrown as UsageError).

import { loadStackConfig, parseStackConfig, projectName } from "../doctor/inputs/stack-file";
import { UsageError } from "../doctor/inputs/usage-error";
import { configProblemText } from "../program/config";
import type { ReviewedChange } from "./change";
import { type CheckedDeclaration, checkDeclaration } from "./check-declaration";
import { viewOf } from "./declaration-view";
import { diffDeclarations } from "./diff-declarations";
import { readAtRef } from "./git-base";
import { renderJson } from "./render-json";
import { code, escapeMarkdown, renderMarkdown } from "./render-markdown";
import { renderText } from "./render-text";
import { count } from "./wording";

export const FORMATS = ["text", "markdown", "json"] as const;
export type DiffFormat = (typeof FORMATS)[number];

export interface DiffOptions {
  /** The base stack file; exclusive with `baseRef`. */
  readonly base?: string;
  /** A git ref at which to read the head file's path as the base. */
  readonly baseRef?: string;
  readonly head: string;
  readonly format: DiffFormat;
  /** The config namespace; default: the name in the Pulumi.yaml beside the head file. */
  readonly project?: string;
  readonly env?: NodeJS.ProcessEnv;
}

export interface DiffRun {
  readonly output: string;
  readonly errors: string;
  readonly exitCode: 0 | 1;
  /** The changes found (empty when a declaration has problems). */
  readonly changes: readonly ReviewedChange[];
}

/** Both declarations loaded and checked. Throws UsageError for an unreadable input. */
function load(options: DiffOptions): { base: CheckedDeclaration; head: CheckedDeclaration } {
  const env = options.env ?? process.env;
  if ((options.base === undefined) === (options.baseRef === undefined))
    throw new UsageError("give exactly one of --base FILE and --base-ref GITREF");
  const head = checkDeclaration(loadStackConfig(options.head, { project: options.project }), env);
  let base: CheckedDeclaration;
  if (options.base !== undefined) {
    // The base's own Pulumi.yaml, if it has one; else the head's project: both deploy one project.
    let project = options.project;
    try {
      project ??= projectName(options.base, undefined);
    } catch {
      project = head.source.project;
    }
    base = checkDeclaration(loadStackConfig(options.base, { project }), env);
  } else {
    const { text, name } = readAtRef(options.baseRef!, options.head);
    const project = options.project ?? projectName(options.head, undefined);
    // The same path at the ref: the same stack (`<ref>:<path>` alone may not end in Pulumi.<stack>.yaml).
    base = checkDeclaration(parseStackConfig(text, { file: name, project, stack: head.source.stack }), env);
  }
  return { base, head };
}

/** The problems of invalid declarations, in the chosen format. */
function problemsReport(sides: CheckedDeclaration[], format: DiffFormat): { output: string; errors: string } {
  const invalid = sides.filter((s) => s.problems.length > 0);
  const text = invalid
    .map(
      (s) =>
        `${s.source.file}: ${count(s.problems.length, "problem")}\n${s.problems.map((p) => `  ${configProblemText(p)}\n`).join("")}`,
    )
    .join("");
  if (format === "text") return { output: text, errors: "" };
  if (format === "json") return { output: "", errors: text };
  const md = invalid.flatMap((s) => [
    `**${code(s.source.file)} is not a valid declaration** (as \`sg-webhooks check\` and the root program read it):`,
    "",
    ...s.problems.map((p) => `- ${code(p.key)}: ${escapeMarkdown(p.problem)}`),
    "",
  ]);
  return { output: `### Webhook changes in ${code(sides[1]!.source.file)}\n\n${md.join("\n")}`, errors: "" };
}

export function runDiff(options: DiffOptions): DiffRun {
  const env = options.env ?? process.env;
  const { base, head } = load(options);
  if (base.problems.length > 0 || head.problems.length > 0)
    return { ...problemsReport([base, head], options.format), exitCode: 1, changes: [] };
  const changes = diffDeclarations(viewOf(base, env), viewOf(head, env));
  const baseName = base.source.file;
  const headName = head.source.file;
  const output =
    options.format === "json"
      ? renderJson(changes)
      : options.format === "markdown"
        ? renderMarkdown(changes, baseName, headName)
        : renderText(changes, baseName, headName);
  return { output, errors: "", exitCode: 0, changes };
}
