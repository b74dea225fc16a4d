// What the tests of the relay on PostgreSQL share: `sg-webhooks serve` (and the other commands) as a
// child process of the built CLI, with everything it prints kept so that it can be searched for the
// database password; and a database owned by a role that has a password, as in production.
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { join } from "node:path";
import pg from "pg";

export const MAIN = join(__dirname, "..", "..", "dist", "src", "cli", "main.js");

/** Everything every child printed, stdout and stderr, in one list per test file. */
export const printed: string[] = [];

export interface ServeChild {
  readonly proc: ChildProcess;
  readonly url: string;
  readonly adminUrl: string;
  /** The "relay ready" log line, parsed. */
  readonly ready: Record<string, unknown>;
  readonly exited: Promise<{ code: number | null; signal: string | null }>;
}

const children: ChildProcess[] = [];

/** Starts `sg-webhooks serve ARGS` with `env` added; resolves once it logs "relay ready". */
export async function serve(args: string[], env: NodeJS.ProcessEnv = {}): Promise<ServeChild> {
  const proc = spawn(process.execPath, [MAIN, "serve", ...args], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, ...env },
  });
  children.push(proc);
  const exited = new Promise<{ code: number | null; signal: string | null }>((r) =>
    proc.once("exit", (code, signal) => r({ code, signal })),
  );
  const ready = await new Promise<Record<string, unknown>>((resolve, reject) => {
    let buf = "";
    proc.stdout!.on("data", (c) => {
      buf += String(c);
      printed.push(String(c));
      for (const line of buf.split("\n")) {
        if (line.includes('"relay ready"')) resolve(JSON.parse(line));
      }
    });
    proc.stderr!.on("data", (c) => printed.push(String(c)));
    void exited.then(({ code }) => reject(new Error(`serve exited (${code}): ${printed.join("")}`)));
  });
  return { proc, url: String(ready.url), adminUrl: String(ready.adminUrl), ready, exited };
}

/** Kills every child still running (afterAll). */
export function killChildren(): void {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
}

export interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `sg-webhooks ARGS` to its end, with `env` added; what it printed is kept in `printed` too. */
export function cli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliRun> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [MAIN, ...args],
      { env: { ...process.env, ...env }, timeout: 30_000 },
      (err, stdout, stderr) => {
        printed.push(stdout, stderr);
        const code = err ? Number((err as { code?: number }).code ?? 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/**
 * A database owned by a role with a password, on the test server (whose superuser has none): the
 * URL the relays get carries the password, as a production URL does. (The server trusts loopback,
 * so the password is not checked: what the tests look for is where it is printed.)
 */
export async function databaseWithPassword(
  adminUrl: string,
  name: string,
  role: string,
  password: string,
): Promise<string> {
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE ROLE ${role} LOGIN PASSWORD '${password.replaceAll("'", "''")}'`);
    await admin.query(`CREATE DATABASE ${name} OWNER ${role}`);
  } finally {
    await admin.end();
  }
  const u = new URL(adminUrl);
  return `postgres://${role}:${encodeURIComponent(password)}@${u.host}/${name}`;
}
