// What a drill needs to end cleanly however it ends (done, failed, interrupted, or past its hard
// timeout): a scratch directory, and the child processes it started, all killed when it exits.
// Each child also ends itself once the drill is gone (see EXIT_WITH_PARENT), for the one case no
// handler here sees: the drill killed with SIGKILL (bench/run.mjs's deadline does that).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** Preload it (`node --require`) into a child that must not outlive the drill that started it. */
export const EXIT_WITH_PARENT = join(import.meta.dirname, "provisioning/exit-with-parent.cjs");

/**
 * `name` prefixes the scratch directory and the messages. With `keepOnFailure`, the directory (logs,
 * the relay's data) stays for a look when the drill fails or times out; interrupted, it always goes.
 */
export function drillScope(name, { hardTimeoutMs, keepOnFailure }) {
  const dir = mkdtempSync(join(tmpdir(), `sg-${name}-`));
  const children = new Set();
  const killAll = () => {
    for (const c of children) c.kill("SIGKILL");
  };
  const remove = () => rmSync(dir, { recursive: true, force: true });
  const kept = () => (keepOnFailure ? ` (logs and data kept in ${dir})` : "");
  process.on("exit", killAll);
  for (const signal of ["SIGINT", "SIGTERM"]) {
    process.once(signal, () => {
      killAll();
      // Interrupted on purpose: nothing to look into.
      remove();
      process.exit(130);
    });
  }
  const timer = setTimeout(() => {
    console.error(`${name}: gave up after ${hardTimeoutMs / 1000} s${kept()}`);
    killAll();
    if (!keepOnFailure) remove();
    process.exit(2);
  }, hardTimeoutMs);
  timer.unref();

  return {
    dir,
    /** Kills `proc` with the drill, whatever ends it. */
    track(proc) {
      children.add(proc);
      proc.once("exit", () => children.delete(proc));
      return proc;
    },
    /** Ends the drill without figures: something other than what it measures broke. */
    abort(what, err) {
      console.error(`${name} failed ${what}: ${err.message}${kept()}`);
      killAll();
      if (!keepOnFailure) remove();
      process.exit(2);
    },
    /** The figures are out: the scratch directory goes, unless kept for a look at a failure. */
    finish(ok) {
      clearTimeout(timer);
      if (ok || !keepOnFailure) remove();
      else console.error(`${name}: FAILED${kept()}`);
    },
  };
}
