// The relay as users run it (`sg-webhooks serve` from dist/, `npm run build` first) and Sourcegraph's
// stand-in (bench/servers/receiver.mjs), each a child process of a drill, and what a drill reads
// from them: /metrics, peak RSS. What the drills share; each keeps its own load and counting.
import { spawn } from "node:child_process";
import { createHmac } from "node:crypto";
import { closeSync, openSync, readFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { setTimeout as sleep } from "node:timers/promises";
import { request } from "undici";
import { EXIT_WITH_PARENT } from "./drill-scope.mjs";

export const root = join(import.meta.dirname, "..");
const MAIN = join(root, "dist/src/cli/main.js");

/** A captured delivery's body, as the code host sent it (test/fixtures/ingest/<file>). */
export function fixturePayload(file) {
  return JSON.parse(readFileSync(join(root, "test/fixtures/ingest", file), "utf8")).payload;
}

/** GitHub's and Bitbucket's signature header value: `<alg>=<hex HMAC of the raw body>`. */
export const hubSignature = (alg, secret, body) =>
  `${alg}=${createHmac(alg, secret).update(body).digest("hex")}`;

export function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/**
 * Sourcegraph's stand-in with `receivers` ([{uuid, codeHostKind, secret}]), driven by commands on
 * its stdin (see bench/servers/receiver.mjs). `track` is the drill scope's. `options.ports` (one
 * per relay: `urls`) and `options.latencyMs` are the stand-in's.
 */
export async function startReceiver(receivers, track, options = {}) {
  const proc = track(
    spawn(
      process.execPath,
      [join(root, "bench/servers/receiver.mjs"), JSON.stringify(receivers), JSON.stringify(options)],
      { stdio: ["pipe", "pipe", "inherit"] },
    ),
  );
  const waiters = [];
  createInterface({ input: proc.stdout }).on("line", (line) => {
    const i = waiters.findIndex((w) => line.startsWith(w.prefix));
    if (i < 0) return;
    const [w] = waiters.splice(i, 1);
    w.resolve(line.slice(w.prefix.length));
  });
  proc.once("exit", (code) => {
    for (const w of waiters.splice(0)) {
      w.reject(new Error(`the receiver exited (${code}) while the drill waited for ${w.prefix}`));
    }
  });
  const nextLine = (prefix) => new Promise((resolve, reject) => waiters.push({ prefix, resolve, reject }));
  // Both awaited before the first line comes: a line no one waits for is dropped.
  const portLine = nextLine("PORT ");
  const portsLine = (options.ports ?? 1) > 1 ? nextLine("PORTS ") : portLine;
  const port = Number(await portLine);
  const urls = (await portsLine).split(" ").map((p) => `http://127.0.0.1:${p}`);
  const command = (line) => {
    const done = nextLine(`OK ${line}`);
    proc.stdin.write(`${line}\n`);
    return done;
  };
  return {
    url: `http://127.0.0.1:${port}`,
    pid: proc.pid,
    /** One URL per port, in port-index order (the index is what the report records). */
    urls,
    command,
    /** The deliveries the stand-in has accepted (2xx) so far, duplicates included. */
    async count() {
      const line = nextLine("ACCEPTED ");
      await command("count");
      return Number(await line);
    },
    /** What the stand-in received, as JSON (see its `report` command); it exits after. */
    async report(file) {
      await command(`report ${file}`);
      return JSON.parse(readFileSync(file, "utf8"));
    },
  };
}

/**
 * Starts `sg-webhooks serve` on 127.0.0.1 and resolves once /readyz answers 200. `args` come after
 * the listeners, the forwarding URL, the receivers file and the data directory; its output is
 * appended to `logFile`. With `databaseUrl` instead of `dataDir`, the relay runs on PostgreSQL, the
 * URL given in SG_WEBHOOKS_DATABASE_URL as the documentation advises. `readyWithinMs` bounds the
 * wait (a busy machine may take seconds just to load Node.js and the relay's modules).
 */
export async function startRelay({
  listenPort,
  adminPort,
  forwardTo,
  receiversFile,
  dataDir,
  databaseUrl,
  logFile,
  args = [],
  track,
  readyWithinMs = 15_000,
}) {
  const log = openSync(logFile, "a");
  const proc = track(
    spawn(
      process.execPath,
      [
        // A relay outliving a drill killed with SIGKILL would keep the port and the data directory.
        "--require",
        EXIT_WITH_PARENT,
        MAIN,
        "serve",
        "--listen",
        `127.0.0.1:${listenPort}`,
        "--admin-listen",
        `127.0.0.1:${adminPort}`,
        "--forward-to",
        forwardTo,
        "--receivers",
        receiversFile,
        ...(databaseUrl === undefined ? ["--data-dir", dataDir] : []),
        ...args,
      ],
      {
        stdio: ["ignore", log, log],
        env:
          databaseUrl === undefined ? process.env : { ...process.env, SG_WEBHOOKS_DATABASE_URL: databaseUrl },
      },
    ),
  );
  closeSync(log);
  const exited = new Promise((resolve) => proc.once("exit", (code, signal) => resolve({ code, signal })));
  const url = `http://127.0.0.1:${listenPort}`;
  const until = Date.now() + readyWithinMs;
  for (;;) {
    if (proc.exitCode !== null || proc.signalCode !== null)
      throw new Error(
        `the relay exited while starting (${proc.exitCode ?? proc.signalCode}); see ${logFile}`,
      );
    try {
      const res = await request(`${url}/readyz`, { headersTimeout: 1000, bodyTimeout: 1000 });
      await res.body.dump();
      if (res.statusCode === 200) break;
    } catch {
      // Not listening yet.
    }
    if (Date.now() > until) {
      throw new Error(`the relay was not ready within ${readyWithinMs / 1000} s; see ${logFile}`);
    }
    await sleep(20);
  }
  return { proc, exited, url, adminUrl: `http://127.0.0.1:${adminPort}` };
}

/**
 * SIGTERM, then SIGKILL after `graceMs`; resolves true when the relay stopped by itself with exit 0.
 */
export async function stopRelay(relay, graceMs = 15_000) {
  relay.proc.kill("SIGTERM");
  const stopped = await Promise.race([relay.exited, sleep(graceMs).then(() => undefined)]);
  if (!stopped) {
    relay.proc.kill("SIGKILL");
    await relay.exited;
  }
  return { clean: stopped?.code === 0, how: stopped ? `exit ${stopped.code ?? stopped.signal}` : "killed" };
}

/** The relay's /metrics, as one map per metric name: label set (`reason="x"`, or "") to value. */
export async function readMetrics(adminUrl) {
  const res = await request(`${adminUrl}/metrics`, { headersTimeout: 5000, bodyTimeout: 5000 });
  const text = await res.body.text();
  const metrics = new Map();
  for (const m of text.matchAll(/^(sg_webhooks_relay_\w+)(?:\{([^}]*)\})? (\S+)$/gm)) {
    if (!metrics.has(m[1])) metrics.set(m[1], new Map());
    metrics.get(m[1]).set(m[2] ?? "", Number(m[3]));
  }
  return metrics;
}

/** Sum of a metric over its labels; 0 when the relay has not counted any yet. */
export const metricTotal = (metrics, name) =>
  [...(metrics.get(name)?.values() ?? [])].reduce((sum, v) => sum + v, 0);

/** The most resident memory a process has had (VmHWM), in bytes; NaN once it is gone. */
export function peakRss(pid) {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) * 1024 : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

/** Stored deliveries the relay has yet to forward. */
export async function queueDepth(adminUrl) {
  const depth = (await readMetrics(adminUrl)).get("sg_webhooks_relay_queue_depth")?.get("");
  if (depth === undefined) throw new Error("the relay's /metrics has no queue depth");
  return depth;
}
