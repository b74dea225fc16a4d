// Relay fault drill: the relay as users run it (`sg-webhooks serve`, a child
// process with its own data directory) takes signed deliveries at a steady rate while Sourcegraph's
// stand-in fails 30% of its requests with a 5xx, refuses connections for 20 s, and the relay is
// killed with SIGKILL twice and restarted on the same data directory and port. Then the load stops,
// the relay drains, and the drill counts what became of every delivery ID it sent.
//
//   npm run build && node bench/drill-relay.mjs      (DRILL_RATE=150 deliveries a second by default)
//
// It exits 1 when an acknowledged delivery was lost (neither forwarded nor dead-lettered), when a
// forwarded body differs from the one sent, when Sourcegraph's stand-in refused a forwarded
// signature, or when a delivery was dead-lettered for another reason than the one planted below.
//
// Duplicates are expected, and are not a failure: the relay forwards at least once. A delivery
// whose forwarding request Sourcegraph answered 2xx is settled in the store (kept as a record of
// that answer, without its body) only after the answer arrives, so a SIGKILL between the two (up
// to --concurrency deliveries in flight), or a connection cut after Sourcegraph processed the
// request (the receiver going down under it), sends that delivery again after the restart. Exactly once would need Sourcegraph to deduplicate by
// delivery ID, and nothing in reference/ says it does; a repeat is what a code host's own
// redelivery (GitHub's redeliver API, GitLab's resend, both with the same ID) sends it anyway. The
// relay never stores a code host's redelivery twice (it remembers delivery IDs), so every
// duplicate counted here comes from forwarding; the table gives when each repeat arrived.
import { execFile } from "node:child_process";
import { createHash, randomUUID } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { promisify } from "node:util";
import { Pool } from "undici";
import { drillScope } from "./drill-scope.mjs";
import {
  fixturePayload,
  freePort,
  hubSignature,
  queueDepth,
  root,
  startReceiver,
  startRelay,
  stopRelay,
} from "./relay-harness.mjs";

const MAIN = join(root, "dist/src/cli/main.js");
const RATE = Number(process.env.DRILL_RATE ?? 150);
/** The schedule of faults below is laid out on this much load. */
const LOAD_SECONDS = 66;
const DRAIN_MS = 40_000;
/** Requests to the relay at once; a send due beyond it is skipped (and counted), never queued. */
const MAX_INFLIGHT = 64;

// Whatever hangs, the drill ends, and takes its children with it.
const scope = drillScope("relay-drill", { hardTimeoutMs: 150_000, keepOnFailure: true });
const { dir, track } = scope;

// --- what is sent -------------------------------------------------------------------------------

const ghBase = JSON.stringify(fixturePayload("github/pull_request.opened.json"));
const glBase = JSON.stringify(fixturePayload("gitlab/merge_request.open.json"));

// Test secrets, made up per run; never printed.
const GH_CURRENT = `drill-${randomUUID()}`;
const GH_PREVIOUS = `drill-${randomUUID()}`;
const GL_TOKEN = `drill-${randomUUID()}`;
const ORPHAN_SECRET = `drill-${randomUUID()}`;
const GH = randomUUID();
const GL = randomUUID();
/** Known to the relay but not to Sourcegraph: its deliveries must end in the dead-letter store. */
const ORPHAN = randomUUID();

const relayReceivers = [
  // Code hosts still sign some deliveries with the previous secret (a rotation in progress); the
  // relay forwards every one signed with secrets[0], the one Sourcegraph holds.
  { uuid: GH, codeHostKind: "GITHUB", secrets: [GH_CURRENT, GH_PREVIOUS] },
  { uuid: GL, codeHostKind: "GITLAB", secrets: [GL_TOKEN] },
  { uuid: ORPHAN, codeHostKind: "GITHUB", secrets: [ORPHAN_SECRET] },
];
const sourcegraphReceivers = [
  { uuid: GH, codeHostKind: "GITHUB", secret: GH_CURRENT },
  { uuid: GL, codeHostKind: "GITLAB", secret: GL_TOKEN },
];

/** Every delivery sent, by delivery ID: where it went and the digest of its body. */
const sent = new Map();
const acked = new Set();
/** Answers other than 2xx, and errors, by status or error code. */
const refused = {};

/** The n-th delivery: 5% GitLab, 1% to the receiver Sourcegraph does not know, the rest GitHub. */
function delivery(n) {
  const id = randomUUID();
  // A field of its own makes every body unique, so a body delivered under another ID is caught.
  const prefix = `{"drill_delivery":"${id}",`;
  if (n % 20 === 0) {
    const body = Buffer.from(prefix + glBase.slice(1));
    return {
      id,
      target: "gitlab",
      uuid: GL,
      body,
      headers: {
        "content-type": "application/json",
        "user-agent": "GitLab/18.3.0",
        "x-gitlab-event": "Merge Request Hook",
        "x-gitlab-event-uuid": randomUUID(),
        "idempotency-key": id,
        "x-gitlab-token": GL_TOKEN,
      },
    };
  }
  const orphan = n % 97 === 0;
  const rotated = !orphan && n % 10 === 3;
  const secret = orphan ? ORPHAN_SECRET : rotated ? GH_PREVIOUS : GH_CURRENT;
  const body = Buffer.from(prefix + ghBase.slice(1));
  return {
    id,
    target: orphan ? "misconfigured" : "github",
    uuid: orphan ? ORPHAN : GH,
    rotated,
    body,
    headers: {
      "content-type": "application/json",
      "user-agent": "GitHub-Hookshot/drill",
      "x-github-event": "pull_request",
      "x-github-delivery": id,
      "x-github-hook-id": "292430182",
      "x-hub-signature": hubSignature("sha1", secret, body),
      "x-hub-signature-256": hubSignature("sha256", secret, body),
    },
  };
}

// --- processes ----------------------------------------------------------------------------------

const dataDir = join(dir, "data");
const relayLog = join(dir, "relay.log");
const receiversFile = join(dir, "receivers.json");
writeFileSync(receiversFile, JSON.stringify(relayReceivers));

const relayOptions = (listenPort, adminPort, forwardTo) => ({
  listenPort,
  adminPort,
  forwardTo,
  receiversFile,
  dataDir,
  logFile: relayLog,
  track,
  args: [
    // Short, so that the retries of the outage's backlog finish within the drain.
    "--retry-base",
    "200ms",
    "--retry-max-delay",
    "2s",
    "--forward-timeout",
    "5s",
    "--shutdown-grace",
    "5s",
    // Every accepted delivery is an info line; writing them would compete with the work measured.
    "--log-level",
    process.env.DRILL_LOG_LEVEL ?? "error",
  ],
});

// --- the drill ----------------------------------------------------------------------------------

const drillStart = performance.now();
const timeline = [];
let loadStart = performance.now();
let loadEpoch = Date.now();
const now = () => (performance.now() - loadStart) / 1000;
const mark = (event) => timeline.push({ t: Number(now().toFixed(1)), event });

/** Ends the drill without figures: something other than the relay's delivery guarantee broke. */
const abort = scope.abort;

let listenPort;
let adminPort;
let receiver;
let relay;
let pool;
try {
  listenPort = await freePort();
  adminPort = await freePort();
  receiver = await startReceiver(sourcegraphReceivers, track);
  relay = await startRelay(relayOptions(listenPort, adminPort, receiver.url));
  pool = new Pool(relay.url, { connections: 32, headersTimeout: 10_000, bodyTimeout: 10_000 });
} catch (err) {
  abort("to start", err);
}

let inflight = 0;
let skipped = 0;
const requests = new Set();

function send(n) {
  const d = delivery(n);
  sent.set(d.id, {
    target: d.target,
    uuid: d.uuid,
    sha: createHash("sha256").update(d.body).digest("hex"),
    rotated: d.rotated === true,
  });
  inflight++;
  const p = pool
    .request({ path: `/.api/webhooks/${d.uuid}`, method: "POST", headers: d.headers, body: d.body })
    .then(async (res) => {
      await res.body.dump();
      if (res.statusCode >= 200 && res.statusCode < 300) acked.add(d.id);
      else refused[res.statusCode] = (refused[res.statusCode] ?? 0) + 1;
    })
    .catch((err) => {
      const code = err.code ?? err.cause?.code ?? err.name ?? "error";
      refused[code] = (refused[code] ?? 0) + 1;
    })
    .finally(() => {
      inflight--;
      requests.delete(p);
    });
  requests.add(p);
}

function runLoad() {
  return new Promise((resolve) => {
    let n = 0;
    const tick = setInterval(() => {
      const elapsed = now();
      const due = Math.floor(Math.min(elapsed, LOAD_SECONDS) * RATE);
      while (n < due) {
        n++;
        if (inflight >= MAX_INFLIGHT) skipped++;
        else send(n);
      }
      if (elapsed >= LOAD_SECONDS) {
        clearInterval(tick);
        mark("load stops");
        resolve();
      }
    }, 5);
  });
}

async function at(second) {
  const wait = loadStart + second * 1000 - performance.now();
  if (wait > 0) await sleep(wait);
}

async function killRelay(which) {
  const pid = relay.proc.pid;
  relay.proc.kill("SIGKILL");
  await relay.exited;
  mark(`relay killed with SIGKILL (${which}, pid ${pid}); restarted on the same data directory and port`);
  const down = performance.now();
  relay = await startRelay(relayOptions(listenPort, adminPort, receiver.url));
  mark(`relay ready again after ${Math.round(performance.now() - down)} ms (pid ${relay.proc.pid})`);
}

/** The relay's queue depth each second of the load: how the backlog grows and drains. */
const depths = [];
async function sampleDepth() {
  for (let second = 1; second <= LOAD_SECONDS; second++) {
    await at(second);
    // While the relay is down (killed), there is nothing to read: left as null.
    depths.push(await queueDepth(relay.adminUrl).catch(() => null));
  }
}

async function runFaults() {
  await at(5);
  await receiver.command("fail 0.3");
  mark("receiver answers 30% of requests with 500/502/503/504, until the end");
  await at(15);
  await killRelay("first");
  await at(25);
  await receiver.command("down");
  mark("receiver down: connections refused");
  await at(45);
  await receiver.command("up");
  mark("receiver up again after 20 s: the relay forwards its backlog");
  // In the thick of the backlog: the most forwarding requests in flight, so the most at stake.
  await at(46);
  await killRelay("second, while the backlog drains");
}

let drainSeconds = 0;
let queuedAtEnd = 0;
let stoppedCleanly = false;
try {
  loadStart = performance.now();
  loadEpoch = Date.now();
  mark(`load starts: ${RATE} signed deliveries a second (pull_request.opened, ${ghBase.length} bytes)`);
  await Promise.all([runLoad(), runFaults(), sampleDepth()]);
  await Promise.allSettled([...requests]);

  const drainStart = performance.now();
  let depth = await queueDepth(relay.adminUrl);
  while (depth > 0 && performance.now() - drainStart < DRAIN_MS) {
    await sleep(250);
    depth = await queueDepth(relay.adminUrl);
  }
  mark(
    depth === 0
      ? `relay drained: nothing left to forward after ${((performance.now() - drainStart) / 1000).toFixed(1)} s`
      : `drain gave up after ${DRAIN_MS / 1000} s with ${depth} deliveries still queued`,
  );
  drainSeconds = (performance.now() - drainStart) / 1000;
  queuedAtEnd = depth;

  const stopped = await stopRelay(relay);
  stoppedCleanly = stopped.clean;
  mark(
    stoppedCleanly
      ? "relay stopped by SIGTERM"
      : `relay did not stop cleanly on SIGTERM (${stopped.how === "killed" ? "killed after 15 s" : stopped.how})`,
  );
  await pool.close();
} catch (err) {
  abort("during the load", err);
}

let dead;
let report;
try {
  // As an operator would read it: the CLI, on the data directory the relay left.
  const { stdout } = await promisify(execFile)(process.execPath, [
    MAIN,
    "dlq",
    "list",
    "--data-dir",
    dataDir,
    "--json",
  ]);
  dead = stdout
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l));
  report = await receiver.report(join(dir, "receiver-report.json"));
} catch (err) {
  abort("while counting", err);
}

// --- the figures --------------------------------------------------------------------------------

const times = new Map();
const when = new Map();
let mismatched = 0;
for (const [id, uuid, digest, at] of report.accepted) {
  const s = sent.get(id);
  if (!s || s.uuid !== uuid || s.sha !== digest) mismatched++;
  times.set(id, (times.get(id) ?? 0) + 1);
  when.set(id, [...(when.get(id) ?? []), (at - loadEpoch) / 1000]);
}
/** When each repeat reached the receiver: next to a kill, or when the receiver went down, is expected. */
const repeats = [...when.values()]
  .filter((ts) => ts.length > 1)
  .flatMap((ts) => ts.slice(1))
  .sort((a, b) => a - b);
const deadIds = new Set(dead.map((d) => d.deliveryId));
const lost = [...acked].filter((id) => !times.has(id) && !deadIds.has(id));
const duplicates = [...times.values()].reduce((sum, n) => sum + n - 1, 0);
const duplicated = [...times.values()].filter((n) => n > 1).length;
const forwardedUnacked = [...times.keys()].filter((id) => !acked.has(id)).length;
const unexpectedDead = dead.filter((d) => d.receiver !== ORPHAN || d.reason !== "unknown_receiver");
const rotatedAcked = [...acked].filter((id) => sent.get(id)?.rotated);
const rotated = rotatedAcked.length;
const rotatedForwarded = rotatedAcked.filter((id) => times.has(id)).length;
const byTarget = (ids, target) => [...ids].filter((id) => sent.get(id)?.target === target).length;
const byReason = {};
for (const d of dead) byReason[d.reason] = (byReason[d.reason] ?? 0) + 1;

const peak = Math.max(0, ...depths.filter((d) => d !== null));
const drillSeconds = (performance.now() - drillStart) / 1000;

const result = {
  rate: RATE,
  loadSeconds: LOAD_SECONDS,
  sent: sent.size,
  skipped,
  acknowledged: acked.size,
  notAcknowledged: sent.size - acked.size,
  forwarded: times.size,
  deadLettered: dead.length,
  lost: lost.length,
  duplicatesForwarded: duplicates,
  deliveriesDuplicated: duplicated,
  forwardedButNotAcknowledged: forwardedUnacked,
  bodiesDiffering: mismatched,
  signaturesRefused: report.badSignature,
  unexpectedDeadLetters: unexpectedDead.length,
  queuedAtEnd,
  queuePeak: peak,
  stoppedCleanly,
  sentWithPreviousSecret: rotated,
  drainSeconds: Number(drainSeconds.toFixed(1)),
  drillSeconds: Number(drillSeconds.toFixed(1)),
  timeline,
};

const row = (label, value, note = "") =>
  console.log(`  ${label.padEnd(34)}${String(value).padStart(8)}  ${note}`);
const list = (o) =>
  Object.entries(o)
    .map(([k, v]) => `${k} ${v}`)
    .join(", ");
console.log(
  `\nRelay fault drill: ${RATE} deliveries/s for ${LOAD_SECONDS} s; receiver 30% 5xx and 20 s refused; relay kill -9 twice\n`,
);
console.log("  timeline (seconds from the start of the load)");
for (const e of timeline) console.log(`  t=${e.t.toFixed(1).padStart(5)}  ${e.event}`);
console.log("");
row(
  "deliveries sent",
  sent.size,
  `github ${byTarget(sent.keys(), "github")}, gitlab ${byTarget(sent.keys(), "gitlab")}, to the receiver Sourcegraph lacks ${byTarget(sent.keys(), "misconfigured")}${skipped ? `; ${skipped} not sent (${MAX_INFLIGHT} in flight)` : ""}`,
);
row("acknowledged (2xx from the relay)", acked.size);
row("not acknowledged", sent.size - acked.size, list(refused) || "-");
row("forwarded (distinct IDs accepted)", times.size, `of which not acknowledged: ${forwardedUnacked}`);
row("dead-lettered", dead.length, list(byReason) || "-");
row(
  "lost (acknowledged, neither)",
  lost.length,
  lost.length ? `e.g. ${lost.slice(0, 3).join(", ")}` : "must be 0",
);
row(
  "duplicates forwarded",
  duplicates,
  duplicates
    ? `${duplicated} deliver${duplicated === 1 ? "y" : "ies"} more than once; repeats at t=${repeats
        .slice(0, 6)
        .map((t) => t.toFixed(1))
        .join(", ")}${repeats.length > 6 ? ", ..." : ""} (at least once: see the comment at the top)`
    : "(at least once: a few are possible, see the comment at the top)",
);
row(
  "sent with the previous secret",
  rotated,
  `${rotatedForwarded} of them forwarded, each re-signed with the current secret`,
);
row("forwarded bodies that differ", mismatched, "must be 0");
row("signatures refused by receiver", report.badSignature, "must be 0");
row("unexpected dead letters", unexpectedDead.length, "must be 0");
row("still queued after the drain", queuedAtEnd);
row(
  "queue depth, peak",
  peak,
  `at t=${depths.indexOf(peak) + 1}; every 5 s: ${depths
    .filter((_, i) => (i + 1) % 5 === 0)
    .map((d) => d ?? "-")
    .join(" ")}`,
);
row("drain (s)", drainSeconds.toFixed(1));
row("whole drill (s)", drillSeconds.toFixed(1));
row("receiver answers", "", list(report.statuses));
console.log(`\nRESULT ${JSON.stringify(result)}`);

const ok = lost.length === 0 && mismatched === 0 && report.badSignature === 0 && unexpectedDead.length === 0;
scope.finish(ok);
process.exit(ok ? 0 : 1);
