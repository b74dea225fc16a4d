// The relay on PostgreSQL, one relay and several: the same load as bench/ingest.mjs (autocannon,
// the signed 21 KB GitHub pull_request.opened with a fresh X-GitHub-Delivery each time) against
// one relay on SQLite, then one, two and three relays on one PostgreSQL started with fsync=on (the
// load spread over them, connection i to relay i mod n, as a load balancer would), each run on a
// fresh database. Each relay forwards to Sourcegraph's stand-in; every delivery acknowledged must
// reach it before the next run starts.
//   node bench/postgres-scale.mjs   (BENCH_SECONDS=8 BENCH_WARMUP_SECONDS=2 BENCH_CONNECTIONS=64; after npm run build)
//
// CPU per request is CPU time (user + system, every thread) over the requests answered in the
// measured run, for the relays (summed), for PostgreSQL (every process of the server: the
// postmaster's children come and go, so the ones gone are read from the postmaster's reaped-children
// time, /proc/<pid>/stat cutime + cstime), for the stand-in and for the load generator.
import { randomUUID } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import autocannon from "autocannon";
import { startPostgres } from "../test/harness/postgres-server.mjs";
import { drillScope } from "./drill-scope.mjs";
import {
  fixturePayload,
  freePort,
  hubSignature,
  startReceiver,
  startRelay,
  stopRelay,
} from "./relay-harness.mjs";
import { table } from "./table.mjs";

const SECONDS = Number(process.env.BENCH_SECONDS ?? 8);
const WARMUP = Number(process.env.BENCH_WARMUP_SECONDS ?? 2);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 64);
const DRAIN_MS = 120_000;
const SECRET = `bench-${randomUUID()}`;
const UUID = randomUUID();
const PATH = `/.api/webhooks/${UUID}`;
const body = Buffer.from(JSON.stringify(fixturePayload("github/pull_request.opened.json")));
const headers = {
  "content-type": "application/json",
  "user-agent": "GitHub-Hookshot/bench",
  "x-github-event": "pull_request",
  "x-github-hook-id": "292430182",
  "x-hub-signature-256": hubSignature("sha256", SECRET, body),
};

const scope = drillScope("postgres-scale", { hardTimeoutMs: 420_000, keepOnFailure: false });
const { dir, track } = scope;

/** [user + system, reaped children's user + system] of a process, in CPU seconds; zeros once it is gone. */
function cpuOf(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command name may hold spaces and parentheses: the fields after its last ")" are fixed.
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return [(Number(f[11]) + Number(f[12])) / 100, (Number(f[13]) + Number(f[14])) / 100];
  } catch {
    return [0, 0];
  }
}

/**
 * PostgreSQL's CPU so far: every live process of the server, plus what its postmaster reaped from
 * children that have exited (a child's time moves there when it ends, so none is counted twice).
 */
function postgresCpu(server) {
  const [postmaster, ...children] = server.pids();
  if (postmaster === undefined) return 0;
  const [own, reaped] = cpuOf(postmaster);
  return own + reaped + children.reduce((sum, pid) => sum + cpuOf(pid)[0], 0);
}

/** The whole machine's CPU time so far, in jiffies: [busy, all] (iowait counts as idle). */
function machineCpu() {
  const f = readFileSync("/proc/stat", "utf8").split("\n", 1)[0].trim().split(/\s+/).slice(1, 9).map(Number);
  const all = f.reduce((a, b) => a + b, 0);
  return [all - f[3] - f[4], all];
}

async function load(urls, seconds) {
  const r = await autocannon({
    url: urls.map((u) => `${u}${PATH}`),
    connections: CONNECTIONS,
    duration: seconds,
    requests: [
      {
        method: "POST",
        body,
        headers,
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

const receiversFile = join(dir, "receivers.json");
writeFileSync(receiversFile, JSON.stringify([{ uuid: UUID, codeHostKind: "GITHUB", secrets: [SECRET] }]), {
  mode: 0o600,
});

/** One configuration: its relays started, measured, drained and stopped. */
async function run(name, count, postgres, receiver) {
  const databaseUrl = postgres ? await postgres.database(`scale_${count}_relays`) : undefined;
  // Together, as replicas start: the first migrates the new database, the others wait for it.
  const relays = await Promise.all(
    Array.from({ length: count }, async (_, i) =>
      startRelay({
        listenPort: await freePort(),
        adminPort: await freePort(),
        forwardTo: receiver.url,
        receiversFile,
        dataDir: postgres ? undefined : join(dir, `${name}-data`),
        databaseUrl,
        logFile: join(dir, `relay-${count}-${i + 1}.log`),
        track,
        readyWithinMs: 60_000,
        // As in production, and as bench/ingest.mjs: a log line per accepted and per forwarded delivery.
        args: ["--log-level", "info"],
      }),
    ),
  );
  const urls = relays.map((r) => r.url);
  const acceptedBefore = await receiver.count();
  const warm = await load(urls, WARMUP);
  const relayPids = relays.map((r) => r.proc.pid);
  const relayCpu = () => relayPids.reduce((sum, pid) => sum + cpuOf(pid)[0], 0);
  const before = {
    relays: relayCpu(),
    pg: postgres ? postgresCpu(postgres) : 0,
    receiver: cpuOf(receiver.pid)[0],
  };
  const loadAverage = loadavg()[0];
  const machineBefore = machineCpu();
  const started = performance.now();
  const self = process.cpuUsage();
  const m = await load(urls, SECONDS);
  const own = process.cpuUsage(self);
  const wall = (performance.now() - started) / 1000;
  const machineAfter = machineCpu();
  const answered = Math.max(1, m.ok + m.failed);
  const perRequest = (seconds) => (seconds * 1e6) / answered;
  const cpuUs = {
    relays: perRequest(relayCpu() - before.relays),
    postgres: postgres ? perRequest(postgresCpu(postgres) - before.pg) : 0,
    receiver: perRequest(cpuOf(receiver.pid)[0] - before.receiver),
    loadGenerator: perRequest((own.user + own.system) / 1e6),
  };
  // How much of the machine this run had: what its processes used, against all the cores' time,
  // and how busy the cores were in all (the rest went to other work on the machine).
  const ours = ((cpuUs.relays + cpuUs.postgres + cpuUs.receiver + cpuUs.loadGenerator) * answered) / 1e6;
  const share = {
    ours: ours / (cpus().length * wall),
    machineBusy: (machineAfter[0] - machineBefore[0]) / Math.max(1, machineAfter[1] - machineBefore[1]),
    loadAverage,
  };
  const acknowledged = warm.ok + m.ok;
  const loadEnded = Date.now();
  let forwarded = 0;
  while (Date.now() - loadEnded < DRAIN_MS) {
    forwarded = (await receiver.count()) - acceptedBefore;
    if (forwarded >= acknowledged) break;
    await sleep(250);
  }
  const drainSeconds = (Date.now() - loadEnded) / 1000;
  await Promise.all(relays.map((r) => stopRelay(r)));
  return {
    name,
    relays: count,
    ...m,
    failed: warm.failed + m.failed,
    acknowledged,
    forwarded,
    drainSeconds,
    cpuUs,
    share,
  };
}

const results = [];
let postgres;
try {
  postgres = await startPostgres({ fsync: true, label: "bench: postgres scale", lifetimeMs: 10 * 60_000 });
  const receiver = await startReceiver([{ uuid: UUID, codeHostKind: "GITHUB", secret: SECRET }], track);
  results.push(await run("sqlite", 1, undefined, receiver));
  for (const n of [1, 2, 3]) results.push(await run(`postgres-${n}`, n, postgres, receiver));
  await postgres.stop();
} catch (err) {
  scope.abort("to measure", err);
}

const [sqlite, pg1, pg2, pg3] = results;
const us = (v) => `${v.toFixed(0)} µs`;
const pct = (v) => `${Math.round(v * 100)}%`;
const total = (r) => r.cpuUs.relays + r.cpuUs.postgres + r.cpuUs.receiver + r.cpuUs.loadGenerator;
const columns = [
  { key: "server", title: "relays" },
  { key: "rps", title: "req/s", align: "right" },
  { key: "p50", title: "p50", align: "right" },
  { key: "p99", title: "p99", align: "right" },
  { key: "errors", title: "errors", align: "right" },
  { key: "relays", title: "relays CPU/req", align: "right" },
  { key: "pg", title: "PostgreSQL CPU/req", align: "right" },
  { key: "all", title: "all CPU/req", align: "right" },
  { key: "share", title: "ours/busy", align: "right" },
  { key: "forwarded", title: "forwarded/acked", align: "right" },
  { key: "drain", title: "drained after", align: "right" },
];
const label = {
  sqlite: "1 relay, SQLite (FULL)",
  "postgres-1": "1 relay, PostgreSQL",
  "postgres-2": "2 relays, PostgreSQL",
  "postgres-3": "3 relays, PostgreSQL",
};
const rows = results.map((r) => ({
  server: label[r.name],
  rps: r.rps.toFixed(0),
  p50: `${r.p50} ms`,
  p99: `${r.p99} ms`,
  errors: r.failed,
  relays: us(r.cpuUs.relays),
  pg: r.name === "sqlite" ? "-" : us(r.cpuUs.postgres),
  all: us(total(r)),
  share: `${pct(r.share.ours)}/${pct(r.share.machineBusy)}`,
  forwarded: `${r.forwarded}/${r.acknowledged}`,
  drain: `${r.drainSeconds.toFixed(1)} s`,
}));
const ratio = (a, b, f) => (f(a) / f(b)).toFixed(2);
const rps = (r) => r.rps;
const cores = cpus().length;
const ceiling = (r) => (cores * 1e6) / total(r);
const oursAverage = results.reduce((sum, r) => sum + r.share.ours, 0) / results.length;
const busyAverage = results.reduce((sum, r) => sum + r.share.machineBusy, 0) / results.length;
const crowded = busyAverage > 0.9 && oursAverage < 0.75 * busyAverage;
const shares = results.map((r) => r.share.ours);
/** Runs that had very different shares of the machine: their req/s are not comparable as they stand. */
const uneven = Math.max(...shares) - Math.min(...shares) > 0.15;
const check = (ok, what) => `${ok ? "met   " : "MISSED"} ${what}`;
const everyOne = results.every((r) => r.forwarded >= r.acknowledged);
console.log(
  [
    `Relays on PostgreSQL: ${CONNECTIONS} connections spread over the relays, ${WARMUP} s warm-up + ${SECONDS} s per run, ${body.length}-byte GitHub pull_request.opened;`,
    `PostgreSQL ${postgres.version} (${postgres.source}) with fsync=on, a fresh database per run; ${cores} cores shared by everything;`,
    `load average ${results.map((r) => r.share.loadAverage.toFixed(1)).join(", ")} as each run began.`,
    "",
    table(columns, rows),
    "",
    `ratios, req/s:          PostgreSQL 1 relay / SQLite ${ratio(pg1, sqlite, rps)}, 2 relays / 1 ${ratio(pg2, pg1, rps)}, 3 relays / 1 ${ratio(pg3, pg1, rps)}`,
    `ratios, all CPU/req:    PostgreSQL 1 relay / SQLite ${ratio(pg1, sqlite, total)}, 2 relays / 1 ${ratio(pg2, pg1, total)}, 3 relays / 1 ${ratio(pg3, pg1, total)}`,
    "CPU/req is CPU time (user + system, every thread) per request answered; all CPU/req adds the stand-in",
    `(${results.map((r) => us(r.cpuUs.receiver)).join(", ")}) and the load generator (${results.map((r) => us(r.cpuUs.loadGenerator)).join(", ")}).`,
    "ours/busy: the share of the cores' time these processes used, and how busy the cores were in all;",
    "drained after: when the stand-in had every acknowledged delivery, counted from the end of the load.",
    "",
    `What it shows on ${cores} cores: the relays, PostgreSQL, the stand-in and the load generator all run on the same ${cores} cores,`,
    `so a delivery costs the machine its "all CPU/req", and at those costs ${cores} idle cores could answer at most`,
    `${results.map((r) => ceiling(r).toFixed(0)).join(", ")} req/s (measured: ${results.map((r) => r.rps.toFixed(0)).join(", ")}). A second or third relay adds processes, not cores, and`,
    `costs CPU of its own (connections, claims and wake-ups, for the relays and for PostgreSQL): all CPU/req x${ratio(pg2, pg1, total)}`,
    `with two relays and x${ratio(pg3, pg1, total)} with three. What more relays can win on ${cores} cores is one relay's event loop (a single`,
    "thread) spread over both, or a larger share of a machine that other work is using; not capacity. More throughput",
    "needs cores to spare for each relay and for PostgreSQL, whose commits (fsync) bound it in the end.",
    uneven || crowded
      ? [
          `These processes had ${pct(Math.min(...shares))} to ${pct(Math.max(...shares))} of the cores' time (${results.map((r) => pct(r.share.ours)).join(", ")}; the cores were ${pct(busyAverage)} busy in all):`,
          "with other work on the machine, a run with more processes gets a larger share of it (the scheduler shares the",
          "cores among busy processes), and its req/s rise with that share alone. CPU/req (what a delivery costs) and the",
          "req/s at most are the figures to compare.",
        ].join("\n")
      : `These processes had ${pct(oursAverage)} of the cores' time (${pct(busyAverage)} busy in all).`,
    "",
    check(
      everyOne,
      `every acknowledged delivery forwarded (${results.map((r) => `${r.forwarded}/${r.acknowledged}`).join(", ")})`,
    ),
  ].join("\n"),
);
console.log(
  `RESULT ${JSON.stringify({ part: "postgres-scale", connections: CONNECTIONS, seconds: SECONDS, results })}`,
);
scope.finish(everyOne);
process.exit(everyOne ? 0 : 1);
