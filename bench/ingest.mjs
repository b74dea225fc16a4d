// Part 1: ingest throughput and latency. One autocannon load generator, the same signed GitHub
// pull_request.opened delivery (a fresh X-GitHub-Delivery each time) and the same connection count
// against, in turn: the limit (bare node:http + HMAC), the peer (@octokit/webhooks' Node
// middleware), ours verifying only, and ours as the full relay (verify, durable SQLite commit,
// 202, forwarding to a Sourcegraph stand-in). Each server runs in a process of its own, so its peak
// RSS is its own.
//   node bench/ingest.mjs    (BENCH_SECONDS=10 BENCH_CONNECTIONS=64 by default; after npm run build)
import { spawn } from "node:child_process";
import { createHmac, randomUUID } from "node:crypto";
import { mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import autocannon from "autocannon";
import { peakRss } from "./relay-harness.mjs";
import { table } from "./table.mjs";

const root = join(import.meta.dirname, "..");
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const WARMUP = Number(process.env.BENCH_WARMUP_SECONDS ?? 2);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 64);
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

// Whatever happens, the run ends and takes its children with it.
const children = new Set();
const killAll = () => {
  for (const c of children) c.kill("SIGKILL");
};
process.on("exit", killAll);
setTimeout(() => {
  console.error("bench/ingest: gave up after 300 s");
  process.exit(2);
}, 300_000).unref();

const dir = mkdtempSync(join(tmpdir(), "sg-ingest-bench-"));
const env = { ...process.env, BENCH_SECRET: SECRET, BENCH_UUID: UUID, BENCH_PATH: PATH };

/** Starts a server process; its stdout goes to a file (the relay logs a line per delivery). */
async function start(name, args, ready) {
  const logFile = join(dir, `${name}.log`);
  writeFileSync(logFile, "");
  const proc = spawn(process.execPath, args, {
    cwd: root,
    env: { ...env, BENCH_DATA_DIR: join(dir, `${name}-data`) },
    stdio: ["pipe", openSync(logFile, "a"), "inherit"],
  });
  children.add(proc);
  proc.once("exit", () => children.delete(proc));
  const deadline = Date.now() + 20_000;
  for (;;) {
    const found = ready(readFileSync(logFile, "utf8"));
    if (found) return { proc, ...found };
    if (proc.exitCode !== null || Date.now() > deadline) throw new Error(`${name} did not start`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const portLine = (text) => {
  const m = /^PORT (\d+)$/m.exec(text);
  return m && { url: `http://127.0.0.1:${m[1]}` };
};

/** CPU seconds a process has used so far, all its threads included (user + system). */
function cpuSeconds(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100;
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

/**
 * A warm-up, then the measured run. Besides the figures autocannon gives, the CPU time each process
 * spent per answered request during the measured run: where the two cores went.
 */
async function measure(server, others = []) {
  const warm = await load(server.url, WARMUP);
  const pids = [server.proc.pid, ...others.map((o) => o.proc.pid)];
  const before = pids.map(cpuSeconds);
  const self = process.cpuUsage();
  const m = await load(server.url, SECONDS);
  const own = process.cpuUsage(self);
  const answered = m.ok + m.failed;
  const perRequest = (seconds) => (seconds * 1e6) / Math.max(1, answered);
  const cpu = pids.map((pid, i) => perRequest(cpuSeconds(pid) - before[i]));
  return {
    ...m,
    acknowledged: warm.ok + m.ok,
    failed: warm.failed + m.failed,
    rss: peakRss(server.proc.pid),
    cpuUs: { server: cpu[0], others: cpu.slice(1), loadGenerator: perRequest((own.user + own.system) / 1e6) },
  };
}

function stop(server) {
  return new Promise((resolve) => {
    if (server.proc.exitCode !== null) return resolve();
    server.proc.once("exit", resolve);
    server.proc.kill("SIGTERM");
  });
}

const results = {};
try {
  const limit = await start("limit", [join(root, "bench/servers/limit.mjs")], portLine);
  results.limit = await measure(limit);
  await stop(limit);

  const peer = await start("peer", [join(root, "bench/servers/peer.mjs")], portLine);
  results.peer = await measure(peer);
  await stop(peer);

  const verify = await start("verify", [join(root, "bench/servers/verify-only.mjs")], portLine);
  results.verify = await measure(verify);
  await stop(verify);

  const sg = await start(
    "receiver",
    [
      join(root, "bench/servers/receiver.mjs"),
      JSON.stringify([{ uuid: UUID, codeHostKind: "GITHUB", secret: SECRET }]),
    ],
    portLine,
  );
  const receivers = join(dir, "receivers.json");
  writeFileSync(receivers, JSON.stringify([{ uuid: UUID, codeHostKind: "GITHUB", secrets: [SECRET] }]));
  const relay = await start(
    "relay",
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
      receivers,
      "--data-dir",
      join(dir, "relay-data"),
      // As in production: a log line per accepted and per forwarded delivery.
      "--log-level",
      "info",
    ],
    (text) => {
      const line = text.split("\n").find((l) => l.includes('"relay ready"'));
      return line && { url: JSON.parse(line).url };
    },
  );
  results.relay = await measure(relay, [sg]);
  // Every acknowledged delivery must reach Sourcegraph; how long the backlog takes to drain.
  const loadEnded = Date.now();
  let got = 0;
  while (Date.now() - loadEnded < 120_000) {
    got = await countAccepted(sg, dir);
    if (got >= results.relay.acknowledged) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  results.relay.forwarded = got;
  results.relay.drainSeconds = (Date.now() - loadEnded) / 1000;
  await stop(relay);
  await stop(sg);
} finally {
  killAll();
  rmSync(dir, { recursive: true, force: true });
}

/** Asks the receiver process how many deliveries it accepted (it answers in its log file). */
async function countAccepted(sg, folder) {
  const file = join(folder, "receiver.log");
  const before = readFileSync(file, "utf8").length;
  sg.proc.stdin.write("count\n");
  for (let i = 0; i < 100; i++) {
    const m = /ACCEPTED (\d+)\n/.exec(readFileSync(file, "utf8").slice(before));
    if (m) return Number(m[1]);
    await new Promise((r) => setTimeout(r, 10));
  }
  return 0;
}

// Where a verifying request's time goes: verifyDelivery against its two costly steps, in-process.
const { verifyDeliverySync } = await import(join(root, "dist/src/ingest/index.js"));
const perCall = (fn) => {
  for (let i = 0; i < 2000; i++) fn();
  const t = process.hrtime.bigint();
  for (let i = 0; i < 20_000; i++) fn();
  return Number(process.hrtime.bigint() - t) / 1e3 / 20_000;
};
const input = { kind: "GITHUB", headers: { ...headers, "x-github-delivery": "d" }, body, secrets: [SECRET] };
const micro = {
  verifyDelivery: perCall(() => {
    if (!verifyDeliverySync(input).ok) throw new Error("the benchmark's delivery did not verify");
  }),
  hmac: perCall(() => createHmac("sha256", SECRET).update(body).digest("hex")),
  jsonParse: perCall(() => JSON.parse(body.toString("utf8"))),
};
results.micro = micro;

const { limit, peer, verify, relay } = results;
const mb = (b) => `${(b / 1048576).toFixed(0)} MB`;
const us = (v) => `${v.toFixed(0)} µs`;
const row = (server, r) => ({
  server,
  rps: r.rps.toFixed(0),
  p50: `${r.p50} ms`,
  p99: `${r.p99} ms`,
  rss: mb(r.rss),
  vsLimit: (r.rps / limit.rps).toFixed(2),
  vsPeer: (r.rps / peer.rps).toFixed(2),
  errors: r.failed,
  cpu: us(r.cpuUs.server),
  loadGenCpu: us(r.cpuUs.loadGenerator),
});
const columns = [
  { key: "server", title: "server" },
  { key: "rps", title: "req/s", align: "right" },
  { key: "p50", title: "p50", align: "right" },
  { key: "p99", title: "p99", align: "right" },
  { key: "rss", title: "peak RSS", align: "right" },
  { key: "vsLimit", title: "/limit", align: "right" },
  { key: "vsPeer", title: "/peer", align: "right" },
  { key: "errors", title: "errors", align: "right" },
  { key: "cpu", title: "CPU/req", align: "right" },
  { key: "loadGenCpu", title: "load gen CPU/req", align: "right" },
];
const check = (ok, what) => `${ok ? "met   " : "MISSED"} ${what}`;
console.log(
  [
    `Ingest: ${CONNECTIONS} connections, ${WARMUP} s warm-up + ${SECONDS} s per server, ${body.length}-byte GitHub pull_request.opened, Node ${process.version}`,
    "",
    table(columns, [
      row("limit: node:http + HMAC, 200", limit),
      row("peer: @octokit/webhooks middleware", peer),
      row("ours, verify only", verify),
      row("ours, full relay (SQLite FULL + forward)", relay),
    ]),
    "",
    `full relay: acknowledged ${relay.acknowledged}, forwarded to Sourcegraph ${relay.forwarded}, backlog drained ${relay.drainSeconds.toFixed(1)} s after the load stopped;`,
    `  the Sourcegraph stand-in used ${us(relay.cpuUs.others[0])} of CPU per request on top (CPU/req counts every thread of a process: user + system time / answered requests)`,
    `verifyDelivery: ${micro.verifyDelivery.toFixed(1)} µs per call, of which HMAC-SHA256 ${micro.hmac.toFixed(1)} µs and the JSON parse Sourcegraph's 400 for a malformed body needs ${micro.jsonParse.toFixed(1)} µs`,
    "",
    check(
      verify.rps >= 0.9 * limit.rps,
      `verify only >= 0.9 x limit (${(verify.rps / limit.rps).toFixed(2)})`,
    ),
    check(verify.p99 < 20, `verify only p99 < 20 ms (${verify.p99} ms)`),
    check(relay.rps >= 0.5 * limit.rps, `full relay >= 0.5 x limit (${(relay.rps / limit.rps).toFixed(2)})`),
    check(relay.rps >= peer.rps, `full relay >= peer (${(relay.rps / peer.rps).toFixed(2)})`),
    check(relay.p99 < 50, `full relay p99 < 50 ms (${relay.p99} ms)`),
    check(relay.forwarded >= relay.acknowledged, "every acknowledged delivery forwarded"),
  ].join("\n"),
);
console.log(
  `RESULT ${JSON.stringify({ part: "ingest", connections: CONNECTIONS, seconds: SECONDS, ...results })}`,
);
if (relay.forwarded < relay.acknowledged) process.exitCode = 1;
