// `diff --base-ref REF`: the stack file as it is at REF, read with `git show REF:<path>`, where the
// path is the head file's, relative to the root of its repository. Every way this can fail is a
// usage error that says what to do, since CI checkouts are often shallow or detached.
import { execFileSync } from "node:child_process";
import { realpathSync } from "node:fs";
import * as path from "node:path";
import { UsageError } from "../doctor/inputs/usage-error";

/** Runs git; its standard output, or why it failed (not found, or its exit code and message). */
function git(
  args: string[],
  cwd: string,
): { ok: true; out: string } | { ok: false; missing: boolean; message: string } {
  try {
    const out = execFileSync("git", args, {
      cwd,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
      maxBuffer: 64 * 1024 * 1024,
    });
    return { ok: true, out };
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { stderr?: string };
    if (e.code === "ENOENT") return { ok: false, missing: true, message: "git not found" };
    return { ok: false, missing: false, message: (e.stderr ?? e.message).trim().split("\n")[0] ?? "" };
  }
}

/** The text of `file` as committed at `ref`, and how to name it (`<ref>:<path>`). Throws UsageError. */
export function readAtRef(ref: string, file: string): { text: string; name: string } {
  if (ref === "" || ref.startsWith("-")) throw new UsageError(`--base-ref "${ref}" is not a git ref`);
  let dir: string;
  let absolute: string;
  try {
    dir = realpathSync(path.dirname(path.resolve(file)));
    absolute = path.join(dir, path.basename(file));
  } catch {
    throw new UsageError(
      `cannot find the directory of ${file}; pass the --head file as it is in the repository`,
    );
  }
  const top = git(["rev-parse", "--show-toplevel"], dir);
  if (!top.ok) {
    throw new UsageError(
      top.missing
        ? "--base-ref needs git, which is not installed or not on PATH; install it, or pass the base file with --base"
        : `${file} is not in a git repository (${top.message}); pass the base file with --base`,
    );
  }
  const root = realpathSync(top.out.trim());
  const relative = path.relative(root, absolute).split(path.sep).join("/");
  if (!git(["rev-parse", "--verify", "--quiet", `${ref}^{commit}`], root).ok) {
    throw new UsageError(
      `git does not know the ref ${ref} here; fetch it first (a shallow CI checkout lacks it: git fetch origin ${ref}, or check out with full history)`,
    );
  }
  const spec = `${ref}:${relative}`;
  if (!git(["cat-file", "-e", spec], root).ok) {
    throw new UsageError(
      `${relative} does not exist at ${ref}: nothing to compare with (a stack file new in this change has no base)`,
    );
  }
  const shown = git(["show", spec], root);
  if (!shown.ok) throw new UsageError(`git show ${spec} failed: ${shown.message}`);
  return { text: shown.out, name: spec };
}
