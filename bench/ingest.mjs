// Part 1: ingest throughput, latency, CPU and memory. One autocannon load generator, the same signed
// GitHub pull_request.opened delivery (a fresh X-GitHub-Delivery each time) and the same connection
// count against five servers, each in a process of its own (so its peak RSS and CPU are its own):
//   limit   bare node:http + HMAC, 200: the least any verifying receiver does
//   peer    @octokit/webhooks' Node middleware: a library doing the same verification
//   verify  ours verifying only: the relay's endpoint with a store that keeps nothing
//   floor   node:http + HMAC + a group-committed file + 202 + forwarding: the least any relay that
//           acknowledges only stored deliveries does (bench/servers/floor.mjs)
//   relay   ours as users run it: `sg-webhooks serve` on SQLite, forwarding to Sourcegraph's stand-in
// The machine is shared, so each server runs once per round, in an order that rotates each round;
// the report gives medians and ranges, and judges ratios of medians (bench/ingest-report.mjs). A
// separate profiled run of the relay, of ours verifying only and of the peer splits their CPU by
// stage (bench/cpu-breakdown.mjs).
//   node bench/ingest.mjs   (after npm run build)
//   BENCH_ROUNDS=3 BENCH_SECONDS=8 BENCH_WARMUP_SECONDS=2 BENCH_CONNECTIONS=64 BENCH_PROFILE_SECONDS=5
import { spawn } from "node:child_process";
import { createHmac, randomUUID } from "node:crypto";
import { closeSync, existsSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { setTimeout as sleep } from "node:timers/promises";
import autocannon from "autocannon";
import {
  breakdown,
  profileShares,
  SAMPLING_INTERVAL_US,
  threadCpu,
  threadHotspots,
  threadSplit,
} from "./cpu-breakdown.mjs";
import { drillScope, EXIT_WITH_PARENT } from "./drill-scope.mjs";
import { judge, median, report, summarize, TITLES } from "./ingest-report.mjs";
import { peakRss } from "./relay-harness.mjs";

const root = join(import.meta.dirname, "..");
const env = (name, fallback) => {
  const v = Number(process.env[name] ?? fallback);
  if (!Number.isFinite(v) || v <= 0)
    throw new Error(`${name} must be a positive number (given ${process.env[name]})`);
  return v;
};
const SECONDS = env("BENCH_SECONDS", 8);
const WARMUP = env("BENCH_WARMUP_SECONDS", 2);
const ROUNDS = Math.round(env("BENCH_ROUNDS", 3));
const CONNECTIONS = Math.round(env("BENCH_CONNECTIONS", 64));
const PROFILE_SECONDS = env("BENCH_PROFILE_SECONDS", 5);
/** How long a backlog may take to reach Sourcegraph's stand-in before its deliveries count as lost. */
const DRAIN_LIMIT_MS = 120_000;
const SERVERS = Object.keys(TITLES);

const SECRET = `bench-${randomUUID()}`;
const UUID = randomUUID();
const PATH = `/.api/webhooks/${UUID}`;
const fixture = JSON.parse(
  readFileSync(join(root, "test/fixtures/ingest/github/pull_request.opened.json"), "utf8"),
);
const body = Buffer.from(JSON.stringify(fixture.payload));
const headers = {
  "content-type": "application/json",
  "user-agent": "GitHub-Hookshot/bench",
  "x-github-event": "pull_request",
  "x-github-hook-id": "292430182",
  "x-hub-signature-256": `sha256=${createHmac("sha256", SECRET).update(body).digest("hex")}`,
};

// Every child ends with the run, however it ends (see drill-scope.mjs); the scratch directory goes.
const perRun = 2 * (WARMUP + SECONDS) + 60;
const scope = drillScope("ingest-bench", {
  hardTimeoutMs: ((ROUNDS * SERVERS.length + 1) * perRun + (2 * DRAIN_LIMIT_MS) / 1000) * 1000,
  keepOnFailure: false,
});
const childEnv = { ...process.env, BENCH_SECRET: SECRET, BENCH_UUID: UUID, BENCH_PATH: PATH };
const receiversFile = join(scope.dir, "receivers.json");
writeFileSync(receiversFile, JSON.stringify([{ uuid: UUID, codeHostKind: "GITHUB", secrets: [SECRET] }]));

/** Starts a node script; its stdout goes to a file, read until `ready` finds what it needs. */
async function startScript(name, nodeArgs, args, extraEnv, ready) {
  const logFile = join(scope.dir, `${name}.log`);
  const log = openSync(logFile, "w");
  const proc = scope.track(
    spawn(process.execPath, ["--require", EXIT_WITH_PARENT, ...nodeArgs, ...args], {
      cwd: root,
      env: { ...childEnv, ...extraEnv },
      stdio: ["ignore", log, "inherit"],
    }),
  );
  closeSync(log);
  const deadline = Date.now() + 20_000;
  for (;;) {
    const found = ready(readFileSync(logFile, "utf8"));
    if (found) return { proc, ...found };
    if (proc.exitCode !== null || Date.now() > deadline)
      throw new Error(`${name} did not start; see its log`);
    await sleep(50);
  }
}

const portLine = (text) => {
  const m = /^PORT (\d+)$/m.exec(text);
  return m && { url: `http://127.0.0.1:${m[1]}` };
};

/** Sourcegraph's stand-in (bench/servers/receiver.mjs); `count()` is the deliveries it accepted. */
async function startReceiver() {
  const proc = scope.track(
    spawn(
      process.execPath,
      [
        join(root, "bench/servers/receiver.mjs"),
        JSON.stringify([{ uuid: UUID, codeHostKind: "GITHUB", secret: SECRET }]),
      ],
      { cwd: root, stdio: ["pipe", "pipe", "inherit"] },
    ),
  );
  const waiters = [];
  createInterface({ input: proc.stdout }).on("line", (line) => {
    const i = waiters.findIndex((w) => line.startsWith(w.prefix));
    if (i < 0) return;
    const [w] = waiters.splice(i, 1);
    w.resolve(line.slice(w.prefix.length));
  });
  proc.once("exit", () => {
    for (const w of waiters.splice(0)) w.reject(new Error("Sourcegraph's stand-in exited"));
  });
  const next = (prefix) => new Promise((resolve, reject) => waiters.push({ prefix, resolve, reject }));
  const port = await next("PORT ");
  return {
    proc,
    url: `http://127.0.0.1:${port}`,
    async count() {
      const n = next("ACCEPTED ");
      proc.stdin.write("count\n");
      return Number(await n);
    },
  };
}

/** SIGTERM (the receiver: end of its stdin), then SIGKILL after 15 s. */
async function stop(proc) {
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  const exited = new Promise((resolve) => proc.once("exit", resolve));
  if (proc.stdin) proc.stdin.end();
  else proc.kill("SIGTERM");
  if (!(await Promise.race([exited.then(() => true), sleep(15_000)]))) {
    proc.kill("SIGKILL");
    await exited;
  }
}

/** Starts one server (and, for those that forward, Sourcegraph's stand-in first). */
async function startServer(name, tag, extraEnv = {}) {
  const data = join(scope.dir, `${tag}-data`);
  const probe = ["--require", join(root, "bench/relay-probe.cjs")];
  const script = (file, args = [], nodeArgs = []) =>
    startScript(
      tag,
      nodeArgs,
      [join(root, "bench/servers", file), ...args],
      { BENCH_DATA_DIR: data, ...extraEnv },
      portLine,
    );
  if (name === "limit") return { data, server: await script("limit.mjs") };
  // Profiled the same way as the relay, to compare them stage by stage.
  if (name === "peer") return { data, server: await script("peer.mjs", [], probe) };
  if (name === "verify") return { data, server: await script("verify-only.mjs", [], probe) };
  const sg = await startReceiver();
  if (name === "floor") return { data, sg, server: await script("floor.mjs", [sg.url]) };
  const threadsFile = join(scope.dir, `${tag}.threads`);
  const server = await startScript(
    tag,
    probe,
    [
      join(root, "dist/src/cli/main.js"),
      "serve",
      "--listen",
      "127.0.0.1:0",
      "--admin-listen",
      "off",
      "--forward-to",
      sg.url,
      "--receivers",
      receiversFile,
      "--data-dir",
      data,
      // Its default, said aloud: one log line per delivery, when it is settled, as in production.
      "--log-level",
      "info",
    ],
    { BENCH_THREADS_FILE: threadsFile, ...extraEnv },
    (text) => {
      const line = text.split("\n").find((l) => l.includes('"relay ready"'));
      return line && { url: JSON.parse(line).url };
    },
  );
  // The store's thread told its tid before the relay was ready; the relay has no other worker.
  const tids = existsSync(threadsFile) ? readFileSync(threadsFile, "utf8").trim().split("\n") : [];
  [server.storeThreadId, server.storeTid] = tids.length === 1 ? tids[0].split(" ") : [];
  return { data, sg, server };
}

async function load(url, seconds) {
  const r = await autocannon({
    url: `${url}${PATH}`,
    connections: CONNECTIONS,
    duration: seconds,
    requests: [
      {
        method: "POST",
        body,
        headers,
        // A fresh delivery ID each time, or the relay would (rightly) drop them as redeliveries.
        setupRequest: (req) => ({ ...req, headers: { ...req.headers, "x-github-delivery": randomUUID() } }),
      },
    ],
  });
  return {
    rps: r.requests.average,
    p50: r.latency.p50,
    p99: r.latency.p99,
    ok: r["2xx"],
    failed: r.non2xx + r.errors + r.timeouts,
  };
}

/** Waits until Sourcegraph's stand-in has accepted `atLeast` deliveries; returns how many it has. */
async function forwarded(sg, atLeast) {
  const until = Date.now() + DRAIN_LIMIT_MS;
  for (;;) {
    const n = await sg.count();
    if (n >= atLeast || Date.now() > until) return n;
    await sleep(100);
  }
}

const cpuOf = (pid) => threadCpu(pid).total;

/**
 * One run: a warm-up (its backlog forwarded before the measure starts), then the measured load.
 * CPU/req counts the server's CPU from the start of the measured load until its backlog reached
 * the stand-in (forwarding is part of the work), per request answered in the measured load.
 */
async function measure({ server, sg }, onWindow) {
  const warm = await load(server.url, WARMUP);
  if (sg) await forwarded(sg, warm.ok);
  const pid = server.proc.pid;
  const before = { threads: threadCpu(pid), sg: sg && cpuOf(sg.proc.pid), self: process.cpuUsage() };
  await onWindow?.("start");
  const m = await load(server.url, onWindow?.seconds ?? SECONDS);
  const self = process.cpuUsage(before.self);
  const loadEnded = Date.now();
  const acknowledged = warm.ok + m.ok;
  const got = sg ? await forwarded(sg, acknowledged) : acknowledged;
  const drainSeconds = sg ? (Date.now() - loadEnded) / 1000 : undefined;
  const after = { threads: threadCpu(pid), sg: sg && cpuOf(sg.proc.pid) };
  await onWindow?.("stop");
  const answered = m.ok + m.failed;
  const us = (s) => (s * 1e6) / Math.max(1, answered);
  return {
    rps: m.rps,
    p50: m.p50,
    p99: m.p99,
    answered,
    failed: warm.failed + m.failed,
    acknowledged,
    forwarded: got,
    drainSeconds,
    endToEndRps: sg ? answered / ((onWindow?.seconds ?? SECONDS) + drainSeconds) : undefined,
    cpuUs: us(after.threads.total - before.threads.total),
    rssMb: peakRss(pid) / 2 ** 20,
    loadGenCpuUs: us((self.user + self.system) / 1e6),
    sgCpuUs: sg ? us(after.sg - before.sg) : undefined,
    threads: threadSplit(before.threads, after.threads, pid, server.storeTid, answered),
  };
}

async function runOnce(name, tag, options) {
  const started = await startServer(name, tag, options?.env);
  try {
    return await measure(started, options?.onWindow);
  } finally {
    await stop(started.server.proc);
    if (started.sg) await stop(started.sg.proc);
    rmSync(started.data, { recursive: true, force: true });
  }
}

/** One of ours once more, each thread sampled during the measured load (bench/relay-probe.cjs). */
async function profiledRun(name) {
  const file = join(scope.dir, `${name}.cpuprofile`);
  const started = await startServer(name, `${name}-profiled`, {
    BENCH_PROFILE_FILE: file,
    BENCH_PROFILE_INTERVAL_US: String(SAMPLING_INTERVAL_US),
  });
  const { proc, storeThreadId } = started.server;
  const storeFile = storeThreadId && `${file}.thread-${storeThreadId}`;
  const written = () => existsSync(file) && (!storeFile || existsSync(storeFile));
  const onWindow = async (edge) => {
    proc.kill("SIGUSR2");
    if (edge === "stop") {
      for (let i = 0; i < 200 && !written(); i++) await sleep(50);
    }
  };
  onWindow.seconds = PROFILE_SECONDS;
  const read = (f) => {
    const profile = JSON.parse(readFileSync(f, "utf8"));
    if (profile.error) throw new Error(`the relay's profiler failed: ${profile.error}`);
    return profile;
  };
  try {
    const run = await measure(started, onWindow);
    return {
      seconds: PROFILE_SECONDS,
      intervalUs: SAMPLING_INTERVAL_US,
      rps: run.rps,
      threads: run.threads,
      shares: profileShares(read(file)),
      store: storeFile && threadHotspots(read(storeFile)),
    };
  } finally {
    await stop(started.server.proc);
    if (started.sg) await stop(started.sg.proc);
    rmSync(started.data, { recursive: true, force: true });
  }
}

const loadStart = loadavg();
const runs = Object.fromEntries(SERVERS.map((n) => [n, []]));
const orders = [];
/** Per profiled server: its own figures, the main thread's shares by stage, the store thread's hotspots. */
let profiled;
try {
  for (let round = 0; round < ROUNDS; round++) {
    const order = SERVERS.map((_, i) => SERVERS[(i + round) % SERVERS.length]);
    orders.push(order);
    for (const [position, name] of order.entries()) {
      const load1 = loadavg()[0];
      const r = await runOnce(name, `${name}-${round + 1}`);
      runs[name].push({ round: round + 1, position, load1, ...r });
      console.error(
        `round ${round + 1}: ${name} ${Math.round(r.rps)} req/s (load average ${load1.toFixed(1)})`,
      );
    }
  }
  profiled = {
    relay: await profiledRun("relay"),
    verify: await profiledRun("verify"),
    peer: await profiledRun("peer"),
  };
} catch (err) {
  scope.abort("to measure", err);
}
const loadEnd = loadavg();

// What a verifying request costs in-process, with no server around it: verifyDelivery against its
// two costly steps, in CPU time (wall time would count the other processes on the machine).
const { verifyDeliverySync } = await import(join(root, "dist/src/ingest/index.js"));
const perCall = (fn) => {
  for (let i = 0; i < 2000; i++) fn();
  const t = process.cpuUsage();
  for (let i = 0; i < 20_000; i++) fn();
  const used = process.cpuUsage(t);
  return (used.user + used.system) / 20_000;
};
const input = { kind: "GITHUB", headers: { ...headers, "x-github-delivery": "d" }, body, secrets: [SECRET] };
const micro = {
  verifyDelivery: perCall(() => {
    if (!verifyDeliverySync(input).ok) throw new Error("the benchmark's delivery did not verify");
  }),
  hmac: perCall(() => createHmac("sha256", SECRET).update(body).digest("hex")),
  jsonParse: perCall(() => JSON.parse(body.toString("utf8"))),
};

const summary = Object.fromEntries(SERVERS.map((n) => [n, summarize(runs[n])]));
const threadMedians = (name) =>
  Object.fromEntries(
    ["main", "store", "otherThreads"].map((k) => [k, median(runs[name].map((r) => r.threads[k]))]),
  );
const split = {
  relay: breakdown(threadMedians("relay"), profiled.relay.shares),
  verify: breakdown(threadMedians("verify"), profiled.verify.shares),
  peer: breakdown(threadMedians("peer"), profiled.peer.shares),
};
const targets = judge(summary, runs);
const la = (l) => l.map((v) => v.toFixed(1)).join(" ");
const header = [
  `Ingest: ${CONNECTIONS} connections, ${ROUNDS} interleaved rounds of ${WARMUP} s warm-up + ${SECONDS} s per server, ${body.length}-byte GitHub pull_request.opened, Node ${process.version}`,
  `${cpus().length} CPUs shared by everything here (load generator, servers, Sourcegraph's stand-in); load average ${la(loadStart)} at the start, ${la(loadEnd)} at the end`,
  `Orders: ${orders.map((o, i) => `round ${i + 1}: ${o.join(", ")}`).join("; ")}`,
];
console.log(report({ header, runs, summary, breakdown: split, profiled, targets, micro }).join("\n"));
console.log(
  `RESULT ${JSON.stringify({
    part: "ingest",
    connections: CONNECTIONS,
    seconds: SECONDS,
    warmupSeconds: WARMUP,
    rounds: ROUNDS,
    loadavg: { start: loadStart, end: loadEnd },
    orders,
    summary,
    runs,
    breakdown: split,
    profile: profiled,
    micro,
    targets,
  })}`,
);
scope.finish(true);
// A target missed is a result; a lost delivery or a refused request makes the figures meaningless.
if (targets.some((t) => t.validity && !t.met)) process.exitCode = 1;
