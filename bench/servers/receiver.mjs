// Sourcegraph's stand-in for the relay benchmarks (bench/ingest.mjs, bench/drill-*.mjs), in a process of its own
// so that its verification work is not charged to the load generator: the contract fake of
// src/stand-ins/receiver, which answers 2xx only to a delivery whose signature (or GitLab token)
// verifies with the receiver's one secret, as Sourcegraph does.
//
//   node bench/servers/receiver.mjs '<receivers JSON: [{uuid, codeHostKind, secret}]>' ['{"ports": 3, "latencyMs": 10}']
//
// With `ports`, it listens on that many ports (printed `PORTS <p1> <p2> …` after `PORT <p1>`), one
// per relay, and records which one each delivery came in on: a drill with several relays tells them
// apart that way. With `latencyMs`, every answer is sent that long after the request arrived.
// Commands, one a line on stdin: `fail <rate>` (the share of requests answered 5xx), `down` (close
// the listener: connections are refused), `up` (listen again on the same port), `count` (print
// `ACCEPTED <n>`, the 2xx answers so far), `report <file>` (write what was accepted, and what reached
// a known receiver whatever the answer, to the file as JSON, then exit). Each command is answered
// `OK <command>` once done.
import { createHash } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";

const root = join(import.meta.dirname, "../..");
const { startReceiverFake } = await import(join(root, "dist/src/stand-ins/receiver/index.js"));

const receivers = JSON.parse(process.argv[2] ?? "[]");
const first = (v) => (Array.isArray(v) ? v[0] : v);

/**
 * One `[deliveryId, receiverUuid, sha256 of the body, when it arrived (ms since the epoch), port
 * index]` per 2xx, duplicates included.
 */
const accepted = [];
/**
 * One `[deliveryId, receiverUuid, event, sha256 of the body, status, when it arrived, port index]`
 * per delivery that reached a known receiver, whatever the answer: what the relay let through, for a
 * drill to tell genuine deliveries from anything else by their digest. The 5xx of `fail` are
 * answered before that, so they are only in `statuses`.
 */
const seen = [];
/** Answers to requests, by status (the injected 5xx, Sourcegraph's 400s and 404s...). */
const statuses = {};
/** Deliveries that reached a known receiver and were refused for their signature or token. */
let badSignature = 0;
let failureRate = 0;
const { ports: portCount = 1, latencyMs = 0 } = JSON.parse(process.argv[3] ?? "{}");
/** One fake per port, by port index; undefined while down. */
const fakes = [];
for (let i = 0; i < portCount; i++) fakes.push(await startReceiverFake(receivers, { latencyMs }));
const ports = fakes.map((f) => Number(new URL(f.url).port));

// Kept as digests, and the fake's own lists emptied: thousands of 20 KB bodies would fill this process.
const deliveryId = (d) => first(d.headers["x-github-delivery"]) ?? first(d.headers["idempotency-key"]) ?? "";
const digest = (d) => createHash("sha256").update(d.body).digest("hex");

function tally() {
  fakes.forEach((fake, port) => {
    if (!fake) return;
    for (const d of fake.accepted) accepted.push([deliveryId(d), d.uuid, digest(d), d.receivedAt, port]);
    for (const d of fake.seen) {
      seen.push([deliveryId(d), d.uuid, d.event, digest(d), d.status, d.receivedAt, port]);
      // The drills send only events Sourcegraph parses, so a 400 from a known receiver is a refused signature.
      if (d.status === 400) badSignature++;
    }
    for (const l of fake.log) statuses[l.outcome] = (statuses[l.outcome] ?? 0) + 1;
    fake.accepted.length = 0;
    fake.seen.length = 0;
    fake.log.length = 0;
  });
}
setInterval(tally, 100).unref();

const STATUSES = [500, 502, 503, 504];

/**
 * A flaky Sourcegraph (or the proxy in front of it): each request fails with a 5xx before any
 * processing with probability `rate`, spread evenly over STATUSES. The shared fake server draws
 * each fault's chance in turn, so the i-th one's is conditional on the ones before not striking.
 */
function flaky(f, rate) {
  f.clearFaults();
  if (rate <= 0) return;
  const each = rate / STATUSES.length;
  STATUSES.forEach((status, i) => {
    f.inject({ kind: "status", status, body: "Sourcegraph failed\n", chance: each / (1 - each * i) });
  });
}

const commands = {
  async fail(rate) {
    failureRate = Number(rate);
    for (const f of fakes) if (f) flaky(f, failureRate);
  },
  async down() {
    tally();
    const closing = fakes.splice(0, fakes.length, ...fakes.map(() => undefined));
    await Promise.all(closing.map((f) => f?.close()));
  },
  async up() {
    for (const [i, port] of ports.entries()) {
      fakes[i] ??= await startReceiverFake(receivers, { port, latencyMs });
      flaky(fakes[i], failureRate);
    }
  },
  async count() {
    tally();
    process.stdout.write(`ACCEPTED ${accepted.length}\n`);
  },
  async report(file) {
    tally();
    await commands.down();
    // A file, not stdout: exiting right after a large write to a pipe can cut it short.
    writeFileSync(file, JSON.stringify({ accepted, seen, statuses, badSignature }));
  },
};

process.stdout.write(`PORT ${ports[0]}\n`);
if (portCount > 1) process.stdout.write(`PORTS ${ports.join(" ")}\n`);

// The drill ends this process, however it ends: no orphan keeps the port.
process.stdin.on("end", () => process.exit(0));
for await (const line of createInterface({ input: process.stdin })) {
  const [name, ...args] = line.trim().split(/\s+/);
  if (!commands[name]) {
    process.stderr.write(`receiver: unknown command ${JSON.stringify(line)}\n`);
    continue;
  }
  await commands[name](...args);
  process.stdout.write(`OK ${line.trim()}\n`);
  if (name === "report") break;
}
// Nothing is left listening: the process ends once stdout is flushed.
process.stdin.destroy();
