// The relay's data directory holds delivery bodies, so it is its user's alone: the directory 0700,
// its files 0600, whatever the umask, and what an older relay left readable is tightened on start.
//
// It is created one level at a time. Node's recursive mkdir never returns on a path whose parent
// exists but cannot hold directories: under /proc, mkdir answers ENOENT, Node takes that for a
// missing parent, the parent answers EEXIST, and round it goes at full CPU
// (https://github.com/nodejs/node/issues/27198 is the same loop for a file as parent on Windows).
import {
  accessSync,
  chmodSync,
  closeSync,
  constants,
  mkdirSync,
  openSync,
  readdirSync,
  statSync,
} from "node:fs";
import { dirname, join, resolve } from "node:path";

export const DATABASE_FILE = "relay.db";
export const LOCK_FILE = "relay.lock";
/** Informational: the pid of the relay holding the lock, for the refusal message. */
export const PID_FILE = "relay.pid";

/** The relay's own files: SQLite's WAL, shared memory and journal beside the database. */
const OWN_FILES = [
  DATABASE_FILE,
  `${DATABASE_FILE}-wal`,
  `${DATABASE_FILE}-shm`,
  `${DATABASE_FILE}-journal`,
  LOCK_FILE,
  PID_FILE,
];
/** What a fresh file system puts at the root of a mounted volume (a Kubernetes volume, say). */
const MOUNT_LEFTOVERS = ["lost+found"];

export const DIR_MODE = 0o700;
export const FILE_MODE = 0o600;

export interface PreparedDataDir {
  /** What other users could read or write and is now the relay user's only, with its former mode. */
  readonly tightened: ReadonlyArray<{ readonly path: string; readonly mode: string }>;
  /**
   * Set when the directory is open to others but holds files that are not the relay's: it is left
   * as it is (the operator pointed the relay at a shared directory, such as a home directory).
   */
  readonly sharedMode?: string;
}

/** Creates `dir` (owner only) when missing, tightens the modes of an existing one, and checks it is writable. */
export function prepareDataDir(dir: string): PreparedDataDir {
  const abs = resolve(dir);
  makeDirectory(dir, abs);
  const tightened: Array<{ path: string; mode: string }> = [];
  let sharedMode: string | undefined;
  const dirMode = statSync(abs).mode & 0o777;
  if ((dirMode & ~DIR_MODE) !== 0) {
    const foreign = list(dir, abs).filter((f) => !OWN_FILES.includes(f) && !MOUNT_LEFTOVERS.includes(f));
    if (foreign.length === 0) {
      restrict(dir, abs, DIR_MODE);
      tightened.push({ path: abs, mode: octal(dirMode) });
    } else sharedMode = octal(dirMode);
  }
  for (const path of OWN_FILES.map((f) => join(abs, f))) {
    let mode: number;
    try {
      const st = statSync(path);
      // Anything else in the way is reported when the relay opens it.
      if (!st.isFile()) continue;
      mode = st.mode & 0o777;
    } catch (err) {
      if (codeOf(err) === "ENOENT") continue;
      throw dataDirError(dir, err, "reading", path);
    }
    if ((mode & ~FILE_MODE) === 0) continue;
    restrict(dir, path, FILE_MODE);
    tightened.push({ path, mode: octal(mode) });
  }
  try {
    accessSync(abs, constants.W_OK | constants.X_OK);
  } catch (err) {
    throw dataDirError(dir, err, "writing to", abs);
  }
  return { tightened, ...(sharedMode ? { sharedMode } : {}) };
}

/**
 * Creates `name` in the data directory, readable and writable by its owner only, unless it exists.
 * SQLite then opens it as it is, and gives its WAL and shared-memory files the same mode.
 */
export function createPrivateFile(dir: string, name: string): string {
  const path = join(resolve(dir), name);
  try {
    closeSync(openSync(path, "a", FILE_MODE));
  } catch (err) {
    throw dataDirError(dir, err, "creating", path);
  }
  return path;
}

function makeDirectory(dir: string, abs: string): void {
  const missing: string[] = [];
  for (let at = abs; ; at = dirname(at)) {
    let isDirectory: boolean;
    try {
      isDirectory = statSync(at).isDirectory();
    } catch (err) {
      if (codeOf(err) === "ENOENT" && dirname(at) !== at) {
        missing.unshift(at);
        continue;
      }
      throw dataDirError(dir, err, "reading", at);
    }
    if (isDirectory) break;
    throw new Error(
      at === abs
        ? `--data-dir ${dir} is a file, not a directory; give a directory (the relay creates it when it is missing), such as /var/lib/sg-webhooks`
        : `--data-dir ${dir}: ${at} is a file, not a directory, so nothing can be created below it; move the file away, or give another --data-dir`,
    );
  }
  for (const path of missing) {
    try {
      // Not recursive, on purpose (see the top of this file): ENOENT here is final.
      mkdirSync(path, { mode: DIR_MODE });
    } catch (err) {
      if (codeOf(err) === "EEXIST" && isDirectoryNow(path)) continue;
      throw dataDirError(dir, err, "creating", path);
    }
  }
}

function restrict(dir: string, path: string, mode: number): void {
  try {
    chmodSync(path, mode);
  } catch (err) {
    throw dataDirError(dir, err, `making owner-only (chmod ${octal(mode)})`, path);
  }
}

function list(dir: string, abs: string): string[] {
  try {
    return readdirSync(abs);
  } catch (err) {
    throw dataDirError(dir, err, "listing", abs);
  }
}

/** An error about `--data-dir` that says what went wrong where, and what to do about it. */
export function dataDirError(dir: string, err: unknown, doing: string, path: string): Error {
  const code = codeOf(err);
  const at = `--data-dir ${dir}`;
  const uid = process.getuid?.();
  const user = uid === undefined ? "the relay's user" : `the relay's user (uid ${uid})`;
  const say = (message: string) => new Error(message, { cause: err });
  switch (code) {
    case "EACCES":
    case "EPERM":
      return say(
        `${at}: permission denied ${doing} ${path}; give a directory that ${user} owns, or make it theirs (chown, then chmod 700)`,
      );
    case "ENOTDIR": {
      const file = fileInTheWay(path);
      return say(
        `${at}: ${file ?? "a part of the path"} is a file, not a directory, so nothing can be created below it; move the file away, or give another --data-dir`,
      );
    }
    case "ENOENT":
      return say(
        `${at}: cannot create ${path} although ${dirname(path)} exists: that file system holds no directories of ours (such as /proc or /sys), or the path goes through a dangling symbolic link; give a directory on a disk, such as /var/lib/sg-webhooks`,
      );
    case "EROFS":
      return say(`${at}: ${path} is on a read-only file system; give a directory on a writable one`);
    case "ENOSPC":
    case "EDQUOT":
      return say(
        `${at}: no space left ${doing} ${path}; free some space, or give a directory on another disk`,
      );
    case "EISDIR":
      return say(`${at}: ${path} is a directory, where the relay keeps a file; move it away`);
    case "ELOOP":
      return say(`${at}: too many symbolic links ${doing} ${path}; give the directory's real path`);
    case "ENAMETOOLONG":
      return say(`${at}: the path is too long; give a shorter one`);
    default:
      return say(`${at}: error ${doing} ${path}: ${(err as Error).message}${code ? ` (${code})` : ""}`);
  }
}

/** The first part of `path` that exists and is not a directory, if any. */
function fileInTheWay(path: string): string | undefined {
  for (let at = path; dirname(at) !== at; at = dirname(at)) {
    try {
      if (!statSync(at).isDirectory()) return at;
      return undefined;
    } catch {
      // Not there (or not reachable): look at its parent.
    }
  }
  return undefined;
}

function isDirectoryNow(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

function codeOf(err: unknown): string | undefined {
  const code = (err as { code?: unknown })?.code;
  return typeof code === "string" ? code : undefined;
}

const octal = (mode: number) => mode.toString(8).padStart(4, "0");
