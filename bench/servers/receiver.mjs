// Sourcegraph's stand-in for the relay benchmarks (bench/ingest.mjs, bench/drill-*.mjs), in a process of its own
// so that its verification work is not charged to the load generator: the contract fake of
// src/stand-ins/receiver, which answers 2xx only to a delivery whose signature (or GitLab token)
// verifies with the receiver's one secret, as Sourcegraph does.
//
//   node bench/servers/receiver.mjs '<receivers JSON: [{uuid, codeHostKind, secret}]>'
//
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

/** One `[deliveryId, receiverUuid, sha256 of the body, when (ms since the epoch)]` per 2xx, duplicates included. */
const accepted = [];
/**
 * One `[deliveryId, receiverUuid, event, sha256 of the body, status]` per delivery that reached a
 * known receiver, whatever the answer: what the relay let through, for a drill to tell genuine
 * deliveries from anything else by their digest.
 */
const seen = [];
/** Answers to requests, by status (the injected 5xx, Sourcegraph's 400s and 404s...). */
const statuses = {};
/** Deliveries that reached a known receiver and were refused for their signature or token. */
let badSignature = 0;
let failureRate = 0;
let fake = await startReceiverFake(receivers);
const port = Number(new URL(fake.url).port);

// Kept as digests, and the fake's own lists emptied: thousands of 20 KB bodies would fill this process.
const deliveryId = (d) => first(d.headers["x-github-delivery"]) ?? first(d.headers["idempotency-key"]) ?? "";
const digest = (d) => createHash("sha256").update(d.body).digest("hex");

function tally() {
  if (!fake) return;
  for (const d of fake.accepted) accepted.push([deliveryId(d), d.uuid, digest(d), Date.now()]);
  for (const d of fake.seen) {
    seen.push([deliveryId(d), d.uuid, d.event, digest(d), d.status]);
    // The drills send only events Sourcegraph parses, so a 400 from a known receiver is a refused signature.
    if (d.status === 400) badSignature++;
  }
  for (const l of fake.log) statuses[l.outcome] = (statuses[l.outcome] ?? 0) + 1;
  fake.accepted.length = 0;
  fake.seen.length = 0;
  fake.log.length = 0;
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
    if (fake) flaky(fake, failureRate);
  },
  async down() {
    tally();
    const f = fake;
    fake = undefined;
    await f?.close();
  },
  async up() {
    fake ??= await startReceiverFake(receivers, { port });
    flaky(fake, failureRate);
  },
  async count() {
    tally();
    process.stdout.write(`ACCEPTED ${accepted.length}\n`);
  },
  async report(file) {
    tally();
    await fake?.close();
    fake = undefined;
    // A file, not stdout: exiting right after a large write to a pipe can cut it short.
    writeFileSync(file, JSON.stringify({ accepted, seen, statuses, badSignature }));
  },
};

process.stdout.write(`PORT ${port}\n`);

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
