// What bench/ingest.mjs prints from its runs: per server the median and range over the rounds,
// the ratios of medians, the full relay's CPU by stage, and the targets met or missed. Only ratios
// of figures from the same run are judged: on a shared machine the absolute figures move with
// whatever else runs, and the interleaved rounds make that noise fall on every server alike.
import { table } from "./table.mjs";

export const TITLES = {
  limit: "limit: node:http + HMAC, 200",
  peer: "peer: @octokit/webhooks middleware",
  verify: "ours, verify only",
  floor: "floor: node:http + HMAC + group-committed file, 202, forward",
  relay: "ours, full relay (SQLite + forward)",
};

/** The metrics judged per run, and how each prints. */
const METRICS = {
  rps: { title: "req/s", fmt: (v) => Math.round(v).toLocaleString("en-US") },
  p50: { title: "p50 ms", fmt: (v) => ms(v) },
  p99: { title: "p99 ms", fmt: (v) => ms(v) },
  cpuUs: { title: "CPU/req µs", fmt: (v) => v.toFixed(0) },
  rssMb: { title: "peak RSS MB", fmt: (v) => v.toFixed(0) },
};
const ms = (v) => (v >= 10 ? v.toFixed(0) : v.toFixed(1));

export function median(values) {
  const s = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (s.length === 0) return Number.NaN;
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/** Per metric: median, min and max over the runs. */
export function summarize(runs) {
  const out = {};
  for (const key of [...Object.keys(METRICS), "loadGenCpuUs", "sgCpuUs", "drainSeconds", "endToEndRps"]) {
    const values = runs.map((r) => r[key]).filter(Number.isFinite);
    if (values.length === 0) continue;
    out[key] = { median: median(values), min: Math.min(...values), max: Math.max(...values) };
  }
  return out;
}

const ratio = (a, b) => a / b;
const x = (v) => (Number.isFinite(v) ? v.toFixed(2) : "-");

/** The targets, each judged on ratios of medians. */
export function judge(s, runs) {
  const all = (names, ok) => names.every((n) => runs[n].every(ok));
  const lost = (n) => runs[n].reduce((sum, r) => sum + Math.max(0, r.acknowledged - r.forwarded), 0);
  const v = {
    verifyRps: ratio(s.verify.rps.median, s.peer.rps.median),
    verifyCpu: ratio(s.verify.cpuUs.median, s.peer.cpuUs.median),
    relayRps: ratio(s.relay.rps.median, s.floor.rps.median),
    relayP99: ratio(s.relay.p99.median, s.floor.p99.median),
    relayRss: ratio(s.relay.rssMb.median, s.floor.rssMb.median),
  };
  return [
    { what: "verify only: throughput >= 1.1 x peer", value: x(v.verifyRps), met: v.verifyRps >= 1.1 },
    { what: "verify only: CPU/req <= peer's", value: x(v.verifyCpu), met: v.verifyCpu <= 1 },
    { what: "full relay: throughput >= 0.8 x floor", value: x(v.relayRps), met: v.relayRps >= 0.8 },
    { what: "full relay: p99 <= 3 x floor's", value: x(v.relayP99), met: v.relayP99 <= 3 },
    { what: "full relay: peak RSS <= 1.5 x floor's", value: x(v.relayRss), met: v.relayRss <= 1.5 },
    {
      what: "full relay: every acknowledged delivery forwarded",
      value: `${lost("relay")} missing`,
      met: lost("relay") === 0,
      validity: true,
    },
    {
      what: "floor: every acknowledged delivery forwarded",
      value: `${lost("floor")} missing`,
      met: lost("floor") === 0,
      validity: true,
    },
    {
      what: "every request answered 2xx (else the figures measure something else)",
      value: `${Object.keys(runs).reduce((n, k) => n + runs[k].reduce((m, r) => m + r.failed, 0), 0)} not`,
      met: all(Object.keys(runs), (r) => r.failed === 0),
      validity: true,
    },
  ];
}

const spread = (m, fmt) => `${fmt(m.median)} (${fmt(m.min)}–${fmt(m.max)})`;

/** The whole printed report, as lines. */
export function report({ header, runs, summary, breakdown, profiled, targets, micro }) {
  const names = Object.keys(TITLES);
  const lines = [...header, ""];
  lines.push("Median (min–max) over the rounds:", "");
  lines.push(
    table(
      [
        { key: "server", title: "server" },
        ...Object.entries(METRICS).map(([key, m]) => ({ key, title: m.title, align: "right" })),
      ],
      names.map((n) => ({
        server: TITLES[n],
        ...Object.fromEntries(Object.entries(METRICS).map(([k, m]) => [k, spread(summary[n][k], m.fmt)])),
      })),
    ),
  );
  lines.push("", "Ratios of medians:", "");
  const pairs = [
    ["verify only / peer", "verify", "peer"],
    ["verify only / limit", "verify", "limit"],
    ["peer / limit", "peer", "limit"],
    ["full relay / floor", "relay", "floor"],
    ["full relay / limit", "relay", "limit"],
    ["floor / limit", "floor", "limit"],
  ];
  lines.push(
    table(
      [
        { key: "pair", title: "" },
        ...Object.entries(METRICS).map(([key, m]) => ({ key, title: m.title.split(" ")[0], align: "right" })),
      ],
      pairs.map(([pair, a, b]) => ({
        pair,
        ...Object.fromEntries(
          Object.keys(METRICS).map((k) => [k, x(ratio(summary[a][k].median, summary[b][k].median))]),
        ),
      })),
    ),
  );
  lines.push("", "Per round, req/s (position in the round's order):");
  for (const n of names) {
    const cells = runs[n].map((r) => `${Math.round(r.rps)} (${r.position + 1})`);
    lines.push(`  ${n.padEnd(7)} ${cells.join("  ")}`);
  }
  for (const n of ["floor", "relay"]) {
    const ack = runs[n].reduce((s, r) => s + r.acknowledged, 0);
    const fwd = runs[n].reduce((s, r) => s + Math.min(r.forwarded, r.acknowledged), 0);
    lines.push(
      `${n}: ${fwd} of ${ack} acknowledged deliveries forwarded (all rounds); backlog drained ${spread(summary[n].drainSeconds, (v) => v.toFixed(1))} s after the load,`,
      `  so ${spread(summary[n].endToEndRps, METRICS.rps.fmt)} deliveries/s end to end (the measured load's over its time plus the drain's);`,
      `  Sourcegraph's stand-in used ${summary[n].sgCpuUs.median.toFixed(0)} µs CPU/req on top`,
    );
  }
  const thread = (n, k) => median(runs[n].map((r) => r.threads[k])).toFixed(0);
  const threads = (n) =>
    `${n} ${thread(n, "main")}${n === "relay" ? ` + store ${thread(n, "store")}` : ""} / ${thread(n, "otherThreads")}`;
  lines.push(
    `CPU/req by thread, main / other threads (median µs): ${names.map(threads).join(", ")}`,
    `load generator CPU/req (median): ${names.map((n) => `${n} ${summary[n].loadGenCpuUs.median.toFixed(0)} µs`).join(", ")}`,
    "CPU/req: user + system time of the server's process, all threads, from the start of the measured load",
    "until its backlog reached Sourcegraph's stand-in, per request answered in the measured load.",
  );
  lines.push("", ...breakdownLines("Full relay", breakdown.relay, profiled.relay));
  lines.push("", ...comparisonLines(breakdown, profiled));
  lines.push(
    "",
    "Other threads: V8's GC and compiler helpers, libuv's pool (the log's writes). Stage rules: bench/cpu-breakdown.mjs.",
    `verifyDelivery alone: ${micro.verifyDelivery.toFixed(1)} µs of CPU per call, of which HMAC-SHA256 ${micro.hmac.toFixed(1)} µs and the JSON parse Sourcegraph's 400 for a malformed body needs ${micro.jsonParse.toFixed(1)} µs`,
  );
  lines.push("", "Targets (ratios of medians in this run):");
  for (const t of targets) lines.push(`${t.met ? "met   " : "MISSED"} ${t.what} (${t.value})`);
  return lines;
}

function breakdownLines(title, b, profiled) {
  const us = (v) => (v >= 0.5 || v === 0 ? v.toFixed(0) : "<1");
  const pct = (v) => `${(v * 100).toFixed(0)}%`;
  const hot = (list) => list.map((t) => `${t.name} ${pct(t.share)}`).join(", ");
  const store = profiled.store !== undefined;
  const rows = b.rows.map((r) => ({
    stage: r.stage,
    main: us(r.main),
    thread: store && r.stage === "store" ? us(r.thread) : "",
    total: us(r.total),
    top: hot(r.top),
  }));
  rows.push({ stage: "other threads", thread: us(b.otherThreads), total: us(b.otherThreads) });
  const main = b.total - b.otherThreads - b.rows.find((r) => r.stage === "store").thread;
  rows.push({ stage: "total", main: us(main), total: us(b.total) });
  const lines = [
    `${title}, CPU per request by stage (µs; main thread: the rounds' median split by a profile's shares;`,
    `${store ? "store thread and other threads" : "other threads"}: /proc/<pid>/task/<tid>/stat, median over the rounds):`,
    "",
    table(
      [
        { key: "stage", title: "stage" },
        { key: "main", title: "main thread", align: "right" },
        ...(store ? [{ key: "thread", title: "store thread", align: "right" }] : []),
        { key: "total", title: "total", align: "right" },
        { key: "top", title: "most self time on the main thread (share of its busy samples)" },
      ],
      rows,
    ),
    "",
  ];
  if (store) {
    lines.push(
      `Store thread (its profile counts wall time: SQLite's run includes waiting for the disk's sync),`,
      `  most self time: ${hot(profiled.store.self)};`,
      `  the relay's functions there, with what they call: ${hot(profiled.store.ours)}.`,
    );
  }
  lines.push(
    `Across the stages, the main thread spent ${us(b.logging)} µs/req in logging (pino, sonic-boom) and ${us(b.metrics)} µs/req in metrics (prom-client).`,
    `Profile: ${profiled.shares.busy} timely busy samples of ${profiled.shares.samples} on the main thread (every ${profiled.intervalUs} µs; ${profiled.shares.late} late ones left out)`,
    `  in a separate ${profiled.seconds} s run at ${Math.round(profiled.rps)} req/s;`,
    `  its own split: main ${us(profiled.threads.main)},${store ? ` store thread ${us(profiled.threads.store)},` : ""} other threads ${us(profiled.threads.otherThreads)} µs/req (sampling included).`,
  );
  return lines;
}

/** Ours verifying only against the peer, stage by stage: where the difference in CPU/req lies. */
function comparisonLines(b, profiled) {
  const us = (v) => v.toFixed(0);
  const hot = (list) => list.map((t) => `${t.name} ${(t.share * 100).toFixed(0)}%`).join(", ");
  const row = (stage, ours, peer, top = {}) => ({
    stage,
    ours: us(ours),
    peer: us(peer),
    diff: `${ours - peer >= 0 ? "+" : ""}${us(ours - peer)}`,
    oursTop: top.ours ?? "",
    peerTop: top.peer ?? "",
  });
  const rows = b.verify.rows.map((r, i) =>
    row(r.stage, r.main, b.peer.rows[i].main, {
      ours: hot(r.top.slice(0, 2)),
      peer: hot(b.peer.rows[i].top.slice(0, 2)),
    }),
  );
  rows.push(row("other threads", b.verify.otherThreads, b.peer.otherThreads));
  rows.push(row("total", b.verify.total, b.peer.total));
  return [
    "Ours verifying only against the peer, CPU per request by stage (µs; measured as the full relay's main",
    "thread is, each from a profile of its own):",
    "",
    table(
      [
        { key: "stage", title: "stage" },
        { key: "ours", title: "ours", align: "right" },
        { key: "peer", title: "peer", align: "right" },
        { key: "diff", title: "ours - peer", align: "right" },
        { key: "oursTop", title: "ours: most self time" },
        { key: "peerTop", title: "peer: most self time" },
      ],
      rows,
    ),
    "",
    `Logging and metrics on ours' main thread: ${us(b.verify.logging)} and ${us(b.verify.metrics)} µs/req.`,
    `Profiles: ${profiled.verify.shares.busy} and ${profiled.peer.shares.busy} timely busy samples (${profiled.verify.shares.late} and ${profiled.peer.shares.late} late ones left out),`,
    `  runs at ${Math.round(profiled.verify.rps)} and ${Math.round(profiled.peer.rps)} req/s.`,
  ];
}
