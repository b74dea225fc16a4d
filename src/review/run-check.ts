// `sg-webhooks check FILE…`: each stack file checked offline as the root program checks it, every
// problem at once with its full key and what is valid. Exit 0 when every file is valid, 1 when one
// has problems, 2 when one cannot be read (the others are still checked).
import { UsageError } from "../doctor/inputs/usage-error";
import { configProblemText } from "../program/config";
import { checkStackFile } from "./check-declaration";
import { viewOf } from "./declaration-view";
import { count } from "./wording";

export interface CheckRun {
  /** The report, one block per file. */
  readonly output: string;
  /** Why files could not be read, one line each. */
  readonly errors: string;
  readonly exitCode: 0 | 1 | 2;
}

export function runCheck(
  files: readonly string[],
  options: { project?: string; env?: NodeJS.ProcessEnv } = {},
): CheckRun {
  const env = options.env ?? process.env;
  const out: string[] = [];
  const errors: string[] = [];
  let failed = false;
  for (const file of files) {
    let checked: ReturnType<typeof checkStackFile>;
    try {
      checked = checkStackFile(file, { project: options.project, env });
    } catch (err) {
      if (!(err instanceof UsageError)) throw err;
      errors.push(`error: ${err.message}`);
      continue;
    }
    const { problems, notes, source } = checked;
    if (problems.length > 0) {
      failed = true;
      out.push(`${file}: ${count(problems.length, "problem")}`);
      for (const p of problems) out.push(`  ${configProblemText(p)}`);
    } else {
      const view = viewOf(checked, env);
      const hooks = view.connections.reduce((n, c) => n + c.hooks.length, 0);
      out.push(
        `${file}: ok (project ${source.project}, ${count(view.connections.length, "connection")}, ${count(hooks, "hook")})`,
      );
    }
    for (const note of notes) out.push(`  note: ${note}`);
  }
  return {
    output: out.length > 0 ? `${out.join("\n")}\n` : "",
    errors: errors.length > 0 ? `${errors.join("\n")}\n` : "",
    exitCode: errors.length > 0 ? 2 : failed ? 1 : 0,
  };
}
