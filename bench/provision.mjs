// Provisioning at scale: 200 hooks per code host plus their receiver, through the
// real dynamic-provider host over gRPC with 16 resource operations in flight, against the contract
// fakes answering each request after 25 ms and at most 50 requests a second per host (429 with
// Retry-After beyond it). Phases, each a fresh provider process as each pulumi command starts one:
// create, a no-op up (check + diff), refresh (read), an event-list change (update), destroy.
// Requests are counted at the fakes. Prints a table and `RESULT {json}`; exits 1 when an operation
// fails under plain rate limiting, a resource has two hooks, or anything is left after destroy.
//   node bench/provision.mjs [--hooks N] [--hosts gitlab,bitbucket-server,bitbucket-cloud]
import { setTimeout as sleep } from "node:timers/promises";
import { parseArgs } from "node:util";
import { CODE_HOSTS, startCodeHost, startSourcegraph } from "./provisioning/code-hosts.mjs";
import { Stack } from "./provisioning/engine.mjs";
import { deadline, startProviderHost } from "./provisioning/harness.mjs";
import { mark, since } from "./provisioning/requests.mjs";
import { table } from "./table.mjs";

const { values: args } = parseArgs({
  options: {
    hooks: { type: "string", default: process.env.BENCH_PROVISION_HOOKS ?? "200" },
    hosts: { type: "string", default: CODE_HOSTS.join(",") },
  },
});
const HOOKS = Number(args.hooks);
const HOSTS = args.hosts.split(",");
const LATENCY_MS = 25;
const RATE = 50;
const PARALLEL = 16;
const RATIO_TARGET = 1.3;
const network = { latencyMs: LATENCY_MS, rateLimit: { limit: RATE, windowMs: 1000 } };

deadline(170_000, "bench/provision");

/** The larger of what the rate limit and what the latency at 16 in flight allow, in seconds. */
const floorOf = (requests) => Math.max(requests / RATE, (requests * LATENCY_MS) / 1000 / PARALLEL);

console.log(
  [
    `Provisioning at scale: ${HOOKS} hooks per code host + 1 Sourcegraph receiver per code host connection`,
    `through the real dynamic-provider host (gRPC), ${PARALLEL} operations in flight; every fake answers after`,
    `${LATENCY_MS} ms and admits ${RATE} requests/s (rolling 1 s window, then 429 + Retry-After). A fresh provider`,
    "process per phase, as each pulumi command starts one. Requests counted at the fakes; reads/writes are",
    "those that reached the API, 429s those the rate limit refused. floor = max(requests / rate,",
    `requests x latency / ${PARALLEL}) over reads + writes. GitHub is not benchmarked: its hooks are @pulumi/github`,
    "resources served by the Pulumi CLI's github provider binary (none here), not a dynamic provider.",
    `Node ${process.version}, ${(await import("node:os")).cpus().length} cores.`,
    "",
  ].join("\n"),
);

const sourcegraph = await startSourcegraph(network);
const rows = [];
let duplicates = 0;
let orphans = 0;
let failures = 0;
const failureSamples = [];

function row(host, phase, server, m, summary, n) {
  const c = since(server, m);
  const requests = c.reads + c.writes;
  const wall = (summary.ended - summary.started) / 1000;
  const floor = floorOf(requests);
  failures += summary.failures.length;
  failureSamples.push(...summary.failures.slice(0, 3).map((f) => `${host} ${phase}: ${f.message}`));
  const r = {
    host,
    phase,
    ops: summary.count,
    reads: c.reads,
    writes: c.writes,
    rateLimited: c.rateLimited,
    failures: summary.failures.length,
    wall: Number(wall.toFixed(2)),
    floor: Number(floor.toFixed(2)),
    ratio: requests > 0 ? Number((wall / floor).toFixed(2)) : null,
    perHook: n > 0 ? { reads: c.reads / n, writes: c.writes / n } : undefined,
  };
  rows.push(r);
  return r;
}

for (const kind of HOSTS) {
  const stack = new Stack(PARALLEL);
  const fixture = await startCodeHost(kind, {
    count: HOOKS,
    network,
    sourcegraph,
    stack,
    prefix: "bench-prov",
  });
  const phases = {
    create: (host) => stack.up(host, fixture.waves),
    "no-op diff": (host) => stack.up(host, fixture.waves),
    refresh: (host) => stack.refresh(host, fixture.waves),
    update: (host) => {
      fixture.setEvents(fixture.changed);
      return stack.up(host, fixture.waves);
    },
    destroy: (host) => stack.destroy(host, fixture.waves),
  };
  let lastEnded = 0;
  for (const [phase, run] of Object.entries(phases)) {
    const host = await startProviderHost();
    // Each phase starts with the fakes' whole budget: the requests of the one before leave the window.
    await sleep(Math.max(0, lastEnded + 1000 - performance.now()));
    const marks = { code: mark(fixture.server), sg: mark(sourcegraph.server) };
    const [receiverWave, hookWave] = await run(host);
    lastEnded = performance.now();
    await host.close();
    row(kind, phase, fixture.server, marks.code, hookWave, HOOKS);
    row(`  sourcegraph (receiver)`, phase, sourcegraph.server, marks.sg, receiverWave, 0);
    if (phase === "create") {
      const extra =
        fixture.hooks.filter((h) => h.remote() > 1).length + Math.max(0, fixture.receivers().length - 1);
      duplicates += extra;
    }
    if (phase === "destroy") orphans += fixture.remoteHooks() + fixture.receivers().length;
  }
  await fixture.close();
}
await sourcegraph.server.close();

const columns = [
  { key: "host", title: "host" },
  { key: "phase", title: "phase" },
  { key: "ops", title: "ops", align: "right" },
  { key: "reads", title: "reads", align: "right" },
  { key: "writes", title: "writes", align: "right" },
  { key: "rateLimited", title: "429s", align: "right" },
  { key: "failures", title: "failures", align: "right" },
  { key: "wall", title: "wall s", align: "right" },
  { key: "floor", title: "floor s", align: "right" },
  { key: "ratioText", title: "wall/floor", align: "right" },
  { key: "verdict", title: "targets" },
];

// Targets for the code-host rows. The receiver rows are one or two requests in series,
// which no parallelism can bring under their latency: the floor formula does not bound them.
function verdict(r) {
  if (r.host.startsWith(" ")) return "";
  const misses = [];
  if (r.failures > 0) misses.push("failures");
  if (r.phase === "create" && (r.writes !== HOOKS || r.reads > HOOKS))
    misses.push("create: 1 write, <=1 read a hook");
  if (r.phase === "no-op diff" && r.reads + r.writes + r.rateLimited > 0) misses.push("no-op sends 0");
  if (r.phase === "refresh" && (r.reads > HOOKS || r.writes > 0)) misses.push("refresh: <=1 read a hook");
  if (r.ratio !== null && r.ratio > RATIO_TARGET) misses.push(`wall > ${RATIO_TARGET}x floor`);
  return misses.length === 0 ? "met" : `MISSED: ${misses.join(", ")}`;
}
for (const r of rows) {
  r.ratioText = r.ratio === null ? "-" : `${r.ratio.toFixed(2)}x`;
  r.verdict = verdict(r);
}
console.log(table(columns, rows));
console.log(
  "Receiver rows: one or two requests in series, which no parallelism brings under their latency; no target.",
);
console.log("");
console.log(`duplicates (a resource with two hooks or receivers after create): ${duplicates}`);
console.log(`orphans (hooks or receivers left on the fakes after destroy): ${orphans}`);
console.log(`failures surfaced to the engine: ${failures}`);
for (const s of failureSamples.slice(0, 5)) console.log(`  ${s}`);

const ok = failures === 0 && duplicates === 0 && orphans === 0;
const result = {
  bench: "provision",
  hooksPerHost: HOOKS,
  latencyMs: LATENCY_MS,
  ratePerSecond: RATE,
  parallel: PARALLEL,
  rows: rows.map(({ ratioText: _, perHook: __, ...r }) => ({ ...r, host: r.host.trim() })),
  targetsMet: rows.filter((r) => r.verdict === "met").length,
  targetsMissed: rows
    .filter((r) => r.verdict.startsWith("MISSED"))
    .map((r) => `${r.host} ${r.phase}: ${r.verdict}`),
  failures,
  duplicates,
  orphans,
  ok,
  runSeconds: Math.round(performance.now() / 1000),
};
console.log(`run time: ${(performance.now() / 1000).toFixed(0)} s`);
console.log(`RESULT ${JSON.stringify(result)}`);
process.exit(ok ? 0 : 1);
