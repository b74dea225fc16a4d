// Relay benchmarks: throughput and p99 latency of acknowledged (stored, 202) deliveries under
// autocannon on 127.0.0.1, as ratios against baselines measured in the same run, plus the cost of
// verifyDelivery against a plain HMAC check and the relay's resident memory.
//   npm run bench            (BENCH_SECONDS=5 BENCH_CONNECTIONS=32 by default)
import { spawn } from "node:child_process";
import { createHmac, randomUUID, timingSafeEqual } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import autocannon from "autocannon";

const root = join(import.meta.dirname, "..");
const { verifyDeliverySync } = await import(join(root, "dist/src/ingest/index.js"));
const { startReceiverFake } = await import(join(root, "dist/test/fakes/receiver/index.js"));

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);
const SECRET = "bench-secret";
const fixture = JSON.parse(readFileSync(join(root, "test/fixtures/ingest/github/push.json"), "utf8"));
const body = Buffer.from(JSON.stringify(fixture.payload));
const sig = (alg) => `${alg}=${createHmac(alg, SECRET).update(body).digest("hex")}`;
const headers = {
  "content-type": "application/json",
  "user-agent": "GitHub-Hookshot/bench",
  "x-github-event": "push",
  "x-hub-signature-256": sig("sha256"),
};

function child(args, ready) {
  const proc = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "inherit"] });
  return new Promise((resolve, reject) => {
    let buf = "";
    proc.stdout.on("data", (c) => {
      buf += c;
      const m = ready(buf);
      if (m) resolve({ proc, ...m });
    });
    proc.once("exit", (code) => reject(new Error(`child exited ${code}: ${buf}`)));
  });
}

function rssOf(pid) {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

async function load(url) {
  const result = await autocannon({
    url,
    connections: CONNECTIONS,
    duration: SECONDS,
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
    rps: result.requests.average,
    p99: result.latency.p99,
    ok: result["2xx"],
    other: result.non2xx + result.errors + result.timeouts,
  };
}

// Bounded: whatever happens, the run ends.
setTimeout(() => {
  console.error("bench: gave up after 180 s");
  process.exit(2);
}, 180_000).unref();

const dir = mkdtempSync(join(tmpdir(), "sg-relay-bench-"));
const uuid = randomUUID();
const sg = await startReceiverFake([{ uuid, codeHostKind: "GITHUB", secret: SECRET }]);
const out = [];

try {
  // Baseline: a bare node:http server that reads the body and answers 202, storing nothing.
  const bare = await child(
    [
      "-e",
      `require("node:http").createServer((q,s)=>{q.on("data",()=>{});q.on("end",()=>s.writeHead(202).end("accepted\\n"))}).listen(0,"127.0.0.1",function(){console.log("PORT "+this.address().port)})`,
    ],
    (b) => {
      const m = /PORT (\d+)/.exec(b);
      return m && { url: `http://127.0.0.1:${m[1]}` };
    },
  );
  const base = await load(`${bare.url}/.api/webhooks/${uuid}`);
  const baseRss = rssOf(bare.proc.pid);
  bare.proc.kill();

  const receivers = join(dir, "receivers.json");
  writeFileSync(receivers, JSON.stringify([{ uuid, codeHostKind: "GITHUB", secrets: [SECRET] }]));
  const relay = await child(
    [
      join(root, "dist/src/cli/main.js"),
      "serve",
      "--listen",
      "127.0.0.1:0",
      "--admin-listen",
      "127.0.0.1:0",
      "--forward-to",
      sg.url,
      "--receivers",
      receivers,
      "--data-dir",
      join(dir, "data"),
      // Info, as in production: one line per accepted and per forwarded delivery.
      "--log-level",
      "info",
      "--concurrency",
      process.env.BENCH_RELAY_CONCURRENCY ?? "8",
    ],
    (b) => {
      const line = b.split("\n").find((l) => l.includes('"relay ready"'));
      return line && JSON.parse(line);
    },
  );
  const idleRss = rssOf(relay.proc.pid);
  const started = Date.now();
  const r = await load(`${relay.url}/.api/webhooks/${uuid}`);
  const loadedRss = rssOf(relay.proc.pid);
  // Every acknowledged delivery must reach the receiver; how long the backlog takes to drain.
  const deadline = Date.now() + 60_000;
  while (sg.accepted.length < r.ok && Date.now() < deadline) await new Promise((res) => setTimeout(res, 50));
  const drainedIn = (Date.now() - started) / 1000;
  relay.proc.kill("SIGTERM");

  // verifyDelivery against the plain HMAC check it wraps (both over the same ${body.length}-byte body).
  const N = 20_000;
  const input = {
    kind: "GITHUB",
    headers: { ...headers, "x-github-delivery": "d" },
    body,
    secrets: [SECRET],
  };
  const expected = Buffer.from(headers["x-hub-signature-256"]);
  const time = (fn) => {
    for (let i = 0; i < 2000; i++) fn();
    const t = process.hrtime.bigint();
    for (let i = 0; i < N; i++) fn();
    return Number(process.hrtime.bigint() - t) / 1e3 / N; // µs per op
  };
  const plain = time(() => {
    const got = Buffer.from(`sha256=${createHmac("sha256", SECRET).update(body).digest("hex")}`);
    if (!(got.length === expected.length && timingSafeEqual(got, expected))) throw new Error("bad");
  });
  const verify = time(() => {
    if (!verifyDeliverySync(input).ok) throw new Error("bad verdict");
  });

  const mb = (b) => (b === undefined ? "n/a" : `${(b / 1048576).toFixed(1)} MB`);
  out.push(
    `relay bench: ${SECONDS}s per run, ${CONNECTIONS} connections, ${body.length}-byte GitHub push, node ${process.version}`,
    "",
    `bare node:http 202 (no storage)   ${base.rps.toFixed(0).padStart(7)} req/s   p99 ${String(base.p99).padStart(4)} ms   RSS ${mb(baseRss)}`,
    `relay (verify + SQLite FULL + fwd) ${r.rps.toFixed(0).padStart(7)} req/s   p99 ${String(r.p99).padStart(4)} ms   RSS idle ${mb(idleRss)}, loaded ${mb(loadedRss)}`,
    `  throughput ratio relay/bare: ${(r.rps / base.rps).toFixed(2)}   p99 ratio relay/bare: ${(r.p99 / Math.max(1, base.p99)).toFixed(2)}`,
    `  acknowledged ${r.ok}, other answers/errors ${r.other}; Sourcegraph got ${sg.accepted.length} (the last answers land after autocannon stops counting), all within ${drainedIn.toFixed(1)} s of the start`,
    "",
    `verifyDelivery ${verify.toFixed(1)} µs/op vs plain HMAC-SHA256 + timingSafeEqual ${plain.toFixed(1)} µs/op: ratio ${(verify / plain).toFixed(2)}`,
  );
  console.log(out.join("\n"));
  if (sg.accepted.length < r.ok) process.exitCode = 1;
} finally {
  await sg.close();
  rmSync(dir, { recursive: true, force: true });
}
