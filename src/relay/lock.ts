import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import Database from "better-sqlite3";
import { createPrivateFile, dataDirError, FILE_MODE, LOCK_FILE, PID_FILE } from "./data-dir";

/** Locks taken by this process, for a message that says so. */
const held = new Set<string>();

/**
 * One relay per data directory: two would forward every delivery twice. The lock is SQLite's
 * exclusive lock (a POSIX record lock) on `relay.lock`, held for the relay's lifetime. The kernel
 * drops it when the process dies however it dies, so there is no stale lock to take over, and no
 * pid to compare: after a reboot or a crash the dead relay's pid may belong to another process,
 * and in containers every relay is pid 1, so a pid says nothing about who holds the directory.
 * The directory must exist (prepareDataDir).
 */
export function lockDataDir(dir: string): () => void {
  const abs = resolve(dir);
  const path = join(abs, LOCK_FILE);
  if (held.has(path))
    throw new Error(`another relay in this process uses ${dir}; give this one another --data-dir`);
  for (let tries = 0; ; tries++) {
    let db: Database.Database | undefined;
    createPrivateFile(dir, LOCK_FILE);
    try {
      db = new Database(path, { timeout: 0 });
      // No journal file: this database is never written, only locked.
      db.pragma("journal_mode = OFF");
      db.exec("BEGIN EXCLUSIVE");
    } catch (err) {
      db?.close();
      const code = (err as { code?: string }).code;
      if (code === "SQLITE_BUSY" || code === "SQLITE_LOCKED") {
        const pid = readPid(join(abs, PID_FILE));
        throw new Error(
          `another relay${pid ? ` (pid ${pid})` : ""} uses ${dir}; stop it, or give this one another --data-dir`,
        );
      }
      // The pid file an older relay kept under this name: it locks nothing, so it can go.
      if (code === "SQLITE_NOTADB" && tries === 0) {
        rmSync(path, { force: true });
        continue;
      }
      throw dataDirError(dir, err, "locking", path);
    }
    const lock = db;
    try {
      writeFileSync(join(abs, PID_FILE), String(process.pid), { mode: FILE_MODE });
    } catch (err) {
      lock.close();
      throw dataDirError(dir, err, "writing", join(abs, PID_FILE));
    }
    held.add(path);
    return () => {
      held.delete(path);
      rmSync(join(abs, PID_FILE), { force: true });
      if (lock.open) lock.close();
    };
  }
}

function readPid(path: string): number | undefined {
  try {
    const pid = Number(readFileSync(path, "utf8").trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}
