import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";

const LOCK_FILE = "relay.lock";
/** Locks taken by this process (a pid check cannot tell two relays of one process apart). */
const held = new Set<string>();

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * One relay per data directory: two would forward every delivery twice. The lock holds the pid;
 * a lock left by a process that is gone (kill -9, a crash) is taken over.
 */
export function lockDataDir(dir: string): () => void {
  const path = join(resolve(dir), LOCK_FILE);
  if (held.has(path))
    throw new Error(`another relay in this process uses ${dir}; give this one another --data-dir`);
  mkdirSync(dir, { recursive: true });
  for (let tries = 0; tries < 2; tries++) {
    try {
      writeFileSync(path, String(process.pid), { flag: "wx" });
      held.add(path);
      return () => {
        held.delete(path);
        rmSync(path, { force: true });
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
      const pid = Number(readFileSync(path, "utf8").trim());
      if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && alive(pid)) {
        throw new Error(
          `another relay (pid ${pid}) uses ${dir}; stop it, or give this one another --data-dir`,
        );
      }
      rmSync(path, { force: true });
    }
  }
  throw new Error(`cannot lock ${dir} (${path})`);
}
