// The durable floor: the least work any relay that acknowledges only stored deliveries can do in
// Node here. A bare node:http server that checks X-Hub-Signature-256 (HMAC-SHA256, timing-safe),
// appends each delivery (a line with what forwarding needs, then the body) to one file with group
// commit: whatever arrived while the last fdatasync ran is written and synced as one batch. It
// answers 202 once a delivery's batch is synced, then forwards it to Sourcegraph's stand-in
// through an undici Pool with its original signature (the stand-in holds the same secret).
// No routing, no parsing, no dedupe, no bounds, no record of Sourcegraph's answers, a backlog held
// in memory and a log never recycled: a reference for the benchmark, not a relay.
//   node bench/servers/floor.mjs <Sourcegraph URL>   (BENCH_SECRET, BENCH_PATH, BENCH_DATA_DIR)
import { createHmac, timingSafeEqual } from "node:crypto";
import { fdatasync, mkdirSync, openSync, writev } from "node:fs";
import { createServer } from "node:http";
import { join } from "node:path";
import { Pool } from "undici";

const secret = process.env.BENCH_SECRET;
const path = process.env.BENCH_PATH;
mkdirSync(process.env.BENCH_DATA_DIR, { recursive: true, mode: 0o700 });
const fd = openSync(join(process.env.BENCH_DATA_DIR, "deliveries.log"), "a", 0o600);
// As many connections as the relay's forwarder has (its default --concurrency, 8).
const pool = new Pool(process.argv[2], { connections: 8 });
const FORWARDED = ["content-type", "user-agent", "x-github-event", "x-github-delivery", "x-github-hook-id"];

let batch = [];
let syncing = false;

function commit() {
  if (syncing || batch.length === 0) return;
  syncing = true;
  const done = batch;
  batch = [];
  const finish = (err) => {
    syncing = false;
    for (const d of done) {
      d.res.writeHead(err ? 503 : 202).end(err ? "not stored\n" : "accepted\n");
      if (!err) forward(d);
    }
    commit();
  };
  writev(
    fd,
    done.flatMap((d) => [d.record, d.body]),
    (err) => (err ? finish(err) : fdatasync(fd, finish)),
  );
}

function forward(d) {
  const retry = () => setTimeout(() => forward(d), 100);
  pool.request({ path, method: "POST", headers: d.headers, body: d.body }).then((res) => {
    res.body.dump();
    if (res.statusCode >= 300) retry();
  }, retry);
}

createServer((req, res) => {
  const chunks = [];
  req.on("data", (c) => chunks.push(c));
  req.on("end", () => {
    const body = Buffer.concat(chunks);
    const want = Buffer.from(`sha256=${createHmac("sha256", secret).update(body).digest("hex")}`);
    const got = Buffer.from(String(req.headers["x-hub-signature-256"] ?? ""));
    if (got.length !== want.length || !timingSafeEqual(got, want)) {
      res.writeHead(400).end("bad signature\n");
      return;
    }
    const headers = { "x-hub-signature-256": got.toString() };
    for (const name of FORWARDED) if (req.headers[name] !== undefined) headers[name] = req.headers[name];
    const record = Buffer.from(`${JSON.stringify({ ...headers, length: body.length })}\n`);
    batch.push({ res, headers, body, record });
    commit();
  });
}).listen(0, "127.0.0.1", function () {
  console.log(`PORT ${this.address().port}`);
});
