// PostgreSQL fault drill: three relays as users run them (`sg-webhooks serve`, each a child process,
// all on one PostgreSQL started with fsync=on) take signed deliveries spread across them (the load
// generator picks a relay for each request, as a load balancer would) while Sourcegraph's stand-in
// fails 30% of its requests with a 5xx and refuses connections for 10 s, two relays are killed with
// SIGKILL at different times and restarted, and PostgreSQL itself is restarted (fast shutdown)
// mid-load. Then the load stops, the relays drain, and the drill counts what became of every
// delivery ID it sent.
//
//   npm run build && node bench/drill-postgres.mjs   (DRILL_RATE=100 deliveries a second by default;
//                                                    DRILL_KEEP=<dir> keeps the logs of a run that passed)
//
// The stand-in listens on one port per relay and records which port each forwarding request came
// in on, and when: that is how it tells the relays apart without asking anything of them. It answers
// LATENCY_MS after a request arrives, so a request is in flight there for that long.
//
// It exits 1 when a check is missed: an acknowledged delivery lost (neither forwarded nor
// dead-lettered), a forwarded body that differs from the one sent, a signature the stand-in refused,
// an unexpected dead letter, two relays with one delivery in flight at once outside a lease expiry,
// a repeat that none of the at-least-once paths explains, a relay that did not answer 503 while
// PostgreSQL was down or did not come back without a restart, or a relay that ended by itself (the
// drill then starts it again, as a supervisor would, and goes on).
//
// Duplicates are expected, and are not a failure: the relays forward at least once. A relay records
// Sourcegraph's 2xx (settles the delivery, under its claim) only after the answer arrives; a relay
// killed between the two, a connection cut as the stand-in goes down, or a settlement that cannot
// commit while PostgreSQL restarts leaves the delivery claimed but unsettled, and once its lease
// (LEASE, short here so that it happens within the drill) ends, a relay sends it again. What is not
// allowed is a second relay sending a delivery while the first still holds it: see
// bench/postgres-repeats.mjs for how each repeat is explained.
import { execFile } from "node:child_process";
import { createHash, randomUUID } from "node:crypto";
import { cpSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { promisify } from "node:util";
import pg from "pg";
import { Pool, request } from "undici";
import { startPostgres } from "../test/harness/postgres-server.mjs";
import { drillScope } from "./drill-scope.mjs";
import { reportDrill } from "./postgres-drill-report.mjs";
import {
  fixturePayload,
  freePort,
  hubSignature,
  root,
  startReceiver,
  startRelay,
  stopRelay,
} from "./relay-harness.mjs";

const MAIN = join(root, "dist/src/cli/main.js");
const RATE = Number(process.env.DRILL_RATE ?? 100);
const RELAYS = 3;
/** The schedule of faults below is laid out on this much load. */
const LOAD_SECONDS = 50;
/** A busy machine forwards the backlog slowly: what is still pending after this counts as lost. */
const DRAIN_MS = 90_000;
const MAX_INFLIGHT = 64;
const LEASE = "5s";
const LATENCY_MS = 10;
/** How long the stand-in refuses connections (it comes back at t=40). */
const OUTAGE_SECONDS = 10;
/** How long PostgreSQL stays stopped between its fast shutdown and its start. */
const PG_DOWN_MS = Number(process.env.DRILL_PG_DOWN_MS ?? 2000);

const scope = drillScope("postgres-drill", { hardTimeoutMs: 240_000, keepOnFailure: true });
const { dir, track } = scope;
const abort = scope.abort;

// --- what is sent (as in drill-relay.mjs) -------------------------------------------------------

const ghBase = JSON.stringify(fixturePayload("github/pull_request.opened.json"));
const glBase = JSON.stringify(fixturePayload("gitlab/merge_request.open.json"));
const GH_CURRENT = `drill-${randomUUID()}`;
const GH_PREVIOUS = `drill-${randomUUID()}`;
const GL_TOKEN = `drill-${randomUUID()}`;
const ORPHAN_SECRET = `drill-${randomUUID()}`;
const GH = randomUUID();
const GL = randomUUID();
/** Known to the relays but not to Sourcegraph: its deliveries must end in the dead-letter store. */
const ORPHAN = randomUUID();
const relayReceivers = [
  { uuid: GH, codeHostKind: "GITHUB", secrets: [GH_CURRENT, GH_PREVIOUS] },
  { uuid: GL, codeHostKind: "GITLAB", secrets: [GL_TOKEN] },
  { uuid: ORPHAN, codeHostKind: "GITHUB", secrets: [ORPHAN_SECRET] },
];
const sourcegraphReceivers = [
  { uuid: GH, codeHostKind: "GITHUB", secret: GH_CURRENT },
  { uuid: GL, codeHostKind: "GITLAB", secret: GL_TOKEN },
];

/** The n-th delivery: 5% GitLab, 1% to the receiver Sourcegraph lacks, the rest GitHub (10% signed with the previous secret). */
function delivery(n) {
  const id = randomUUID();
  const prefix = `{"drill_delivery":"${id}",`;
  if (n % 20 === 0) {
    const body = Buffer.from(prefix + glBase.slice(1));
    const headers = {
      "content-type": "application/json",
      "user-agent": "GitLab/18.3.0",
      "x-gitlab-event": "Merge Request Hook",
      "x-gitlab-event-uuid": randomUUID(),
      "idempotency-key": id,
      "x-gitlab-token": GL_TOKEN,
    };
    return { id, target: "gitlab", uuid: GL, body, headers };
  }
  const orphan = n % 97 === 0;
  const secret = orphan ? ORPHAN_SECRET : n % 10 === 3 ? GH_PREVIOUS : GH_CURRENT;
  const body = Buffer.from(prefix + ghBase.slice(1));
  const headers = {
    "content-type": "application/json",
    "user-agent": "GitHub-Hookshot/drill",
    "x-github-event": "pull_request",
    "x-github-delivery": id,
    "x-github-hook-id": "292430182",
    "x-hub-signature": hubSignature("sha1", secret, body),
    "x-hub-signature-256": hubSignature("sha256", secret, body),
  };
  return { id, target: orphan ? "misconfigured" : "github", uuid: orphan ? ORPHAN : GH, body, headers };
}

// --- processes ----------------------------------------------------------------------------------

const receiversFile = join(dir, "receivers.json");
writeFileSync(receiversFile, JSON.stringify(relayReceivers), { mode: 0o600 });
const logFile = (slot) => join(dir, `relay-${slot + 1}.log`);

const drillStart = performance.now();
let loadStart = performance.now();
let loadEpoch = Date.now();
const now = () => (performance.now() - loadStart) / 1000;
const timeline = [];
const mark = (event) => timeline.push({ t: Number(now().toFixed(1)), event });

let postgres;
let databaseUrl;
let db;
let receiver;
/** Each relay's ports, kept across its restarts, so its stand-in port and its pool stay its own. */
const slots = [];
const relays = [];
const pools = [];
/** Relays that ended without being told to (not killed by the drill, not stopped at the end). */
const exits = [];
/** Starts in progress (after a kill, or an exit), awaited before the drain. */
const starting = new Set();
let ending = false;

function startSlot(slot) {
  return startRelay({
    ...slots[slot],
    forwardTo: receiver.urls[slot],
    receiversFile,
    databaseUrl,
    logFile: logFile(slot),
    track,
    // A loaded machine takes seconds just to load Node.js and the relay's modules.
    readyWithinMs: 60_000,
    args: [
      "--lease",
      LEASE,
      "--retry-base",
      "200ms",
      "--retry-max-delay",
      "2s",
      "--forward-timeout",
      "5s",
      "--shutdown-grace",
      "5s",
      // Warnings name the claims a relay lost; the per-delivery info lines would compete with the work.
      "--log-level",
      process.env.DRILL_LOG_LEVEL ?? "warn",
    ],
  });
}

/** What a relay printed last before it ended: the error of an uncaught exception, if any. */
function lastWords(slot) {
  const tail = readFileSync(logFile(slot), "utf8").split("\n").slice(-60);
  const error = tail.find((l) => /^\w*(Error|error)\b.*: /.test(l));
  const unhandled = tail.some((l) => l.includes("Unhandled 'error' event"));
  return `${unhandled ? "unhandled 'error' event: " : ""}${error?.trim() ?? "no error printed"}`;
}

/**
 * Starts the relay of `slot` and keeps it running, as a supervisor would: one that does not start
 * (PostgreSQL away while it opens its tables) is started again, and one that ends by itself is
 * counted in `exits` and started again.
 */
function launch(slot) {
  const p = (async () => {
    for (let attempt = 1; ; attempt++) {
      const began = performance.now();
      try {
        const relay = await startSlot(slot);
        relays[slot] = relay;
        relay.exited.then(({ code, signal }) => {
          if (relay.expected || ending) return;
          exits.push({ slot, at: Date.now(), code, signal, why: lastWords(slot) });
          mark(`relay ${slot + 1} ended by itself (${code ?? signal}: ${lastWords(slot)}); started again`);
          launch(slot);
        });
        return Math.round(performance.now() - began);
      } catch (err) {
        if (attempt === 5 || ending) throw err;
        mark(`relay ${slot + 1} did not start (${err.message.split(";")[0]}); starting it again`);
        await sleep(1000);
      }
    }
  })();
  starting.add(p);
  p.catch(() => {}).finally(() => starting.delete(p));
  return p;
}

try {
  postgres = await startPostgres({ fsync: true, label: "bench: postgres drill", lifetimeMs: 10 * 60_000 });
  databaseUrl = await postgres.database("drill");
  // The drill's own look at the table: queue depth while it runs, the rows at the end.
  db = new pg.Pool({ connectionString: databaseUrl, max: 2 });
  db.on("error", () => {});
  receiver = await startReceiver(sourcegraphReceivers, track, { ports: RELAYS, latencyMs: LATENCY_MS });
  for (let slot = 0; slot < RELAYS; slot++) {
    slots.push({ listenPort: await freePort(), adminPort: await freePort() });
  }
  // One after another: the first creates the tables, the others find them.
  for (let slot = 0; slot < RELAYS; slot++) await launch(slot);
  for (const r of relays) {
    pools.push(new Pool(r.url, { connections: 24, headersTimeout: 10_000, bodyTimeout: 10_000 }));
  }
} catch (err) {
  abort("to start", err);
}

async function pendingRows() {
  const { rows } = await db.query(
    "SELECT count(*)::int AS n FROM sg_webhooks.deliveries WHERE state = 'pending'",
  );
  return rows[0].n;
}

// --- the load -----------------------------------------------------------------------------------

const sent = new Map();
const acked = new Set();
const refused = {};
const perSlot = Array.from({ length: RELAYS }, () => ({ sent: 0, acked: 0, refused503WhilePgDown: 0 }));
const kills = [];
const downs = [];
let pgWindow;
let inflight = 0;
let skipped = 0;
const requests = new Set();

function send(n) {
  const d = delivery(n);
  // As a load balancer without health checks would: any relay, up or not.
  const slot = Math.floor(Math.random() * RELAYS);
  sent.set(d.id, { target: d.target, uuid: d.uuid, sha: createHash("sha256").update(d.body).digest("hex") });
  perSlot[slot].sent++;
  inflight++;
  const p = pools[slot]
    .request({ path: `/.api/webhooks/${d.uuid}`, method: "POST", headers: d.headers, body: d.body })
    .then(async (res) => {
      await res.body.dump();
      if (res.statusCode >= 200 && res.statusCode < 300) {
        acked.add(d.id);
        perSlot[slot].acked++;
      } else {
        refused[res.statusCode] = (refused[res.statusCode] ?? 0) + 1;
        if (res.statusCode === 503 && pgWindow && pgWindow.to === undefined)
          perSlot[slot].refused503WhilePgDown++;
      }
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

// --- the faults ---------------------------------------------------------------------------------

/** Kills the relay of `slot` and starts it again in the background: the schedule does not wait. */
async function killRelay(slot, why) {
  const relay = relays[slot];
  relay.expected = true;
  relay.proc.kill("SIGKILL");
  await relay.exited;
  kills.push({ slot, at: Date.now() });
  mark(
    `relay ${slot + 1} killed with SIGKILL (${why}, pid ${relay.proc.pid}); started again on the same port`,
  );
  launch(slot).then(
    (ms) => mark(`relay ${slot + 1} ready again after ${ms} ms (pid ${relays[slot].proc.pid})`),
    (err) => mark(`relay ${slot + 1} could not be started again: ${err.message}`),
  );
}

async function readyz(slot) {
  try {
    const res = await request(`${relays[slot].url}/readyz`, { headersTimeout: 1000, bodyTimeout: 1000 });
    await res.body.dump();
    return res.statusCode;
  } catch (err) {
    return err.code ?? "error";
  }
}

/**
 * Per relay running when PostgreSQL went down: whether /readyz said 503 meanwhile, how soon after
 * PostgreSQL was back it said 200, and whether that was the same process.
 */
const pgReadiness = [];

async function restartPostgres() {
  const up = relays.map((r) => (r.proc.exitCode === null && r.proc.signalCode === null ? r : undefined));
  const watched = up.flatMap((r, slot) =>
    r ? [{ slot, relay: r, saw503: false, backAfterMs: undefined }] : [],
  );
  pgReadiness.push(...watched);
  pgWindow = { from: Date.now(), to: undefined };
  mark(
    `PostgreSQL restarted: fast shutdown, ${PG_DOWN_MS} ms down, start (relays up: ${watched.map((w) => w.slot + 1).join(", ")})`,
  );
  let upAt;
  const watch = (async () => {
    for (;;) {
      const statuses = await Promise.all(watched.map((w) => readyz(w.slot)));
      statuses.forEach((s, i) => {
        const w = watched[i];
        if (upAt === undefined && s === 503) w.saw503 = true;
        if (upAt !== undefined && s === 200 && w.backAfterMs === undefined) w.backAfterMs = Date.now() - upAt;
      });
      if (
        upAt !== undefined &&
        (watched.every((w) => w.backAfterMs !== undefined) || Date.now() - upAt > 30_000)
      ) {
        return;
      }
      await sleep(200);
    }
  })();
  await postgres.restart({ mode: "fast", downMs: PG_DOWN_MS });
  upAt = Date.now();
  pgWindow.to = upAt;
  mark(
    `PostgreSQL accepts connections again (${((upAt - pgWindow.from) / 1000).toFixed(1)} s after the shutdown began)`,
  );
  await watch;
  for (const w of watched)
    w.samePid = relays[w.slot] === w.relay && !exits.some((e) => e.slot === w.slot && e.at >= pgWindow.from);
  const back = watched.map((w) =>
    w.backAfterMs === undefined || !w.samePid
      ? `relay ${w.slot + 1} NOT (${w.samePid ? "not ready within 30 s" : "it ended and was started again"})`
      : `relay ${w.slot + 1} after ${w.backAfterMs} ms`,
  );
  mark(`relays ready again without a restart: ${back.join(", ")}`);
}

async function runFaults() {
  await at(3);
  await receiver.command("fail 0.3");
  mark("receiver answers 30% of requests with 500/502/503/504, until the end");
  await at(8);
  await killRelay(0, "first");
  await at(20);
  const restart = restartPostgres();
  await at(40 - OUTAGE_SECONDS);
  await receiver.command("down");
  downs.push(Date.now());
  mark("receiver down: connections refused");
  await at(40);
  await receiver.command("up");
  mark(`receiver up again after ${OUTAGE_SECONDS} s: the relays forward the backlog`);
  await at(41);
  await killRelay(1, "second, while the backlog drains");
  await restart;
}

/** Pending rows (the shared queue) each second of the load; null while PostgreSQL is away. */
const depths = [];
async function sampleDepth() {
  for (let second = 1; second <= LOAD_SECONDS; second++) {
    await at(second);
    depths.push(await pendingRows().catch(() => null));
  }
}

let drainSeconds = 0;
let queuedAtEnd = 0;
const stops = [];
try {
  loadStart = performance.now();
  loadEpoch = Date.now();
  mark(
    `load starts: ${RATE} signed deliveries a second over ${RELAYS} relays (pull_request.opened, ${ghBase.length} bytes)`,
  );
  await Promise.all([runLoad(), runFaults(), sampleDepth()]);
  await Promise.allSettled([...requests]);
  while (starting.size > 0) await Promise.all([...starting]);
  const drainStart = performance.now();
  let depth = await pendingRows();
  while (depth > 0 && performance.now() - drainStart < DRAIN_MS) {
    await sleep(250);
    depth = await pendingRows();
  }
  drainSeconds = (performance.now() - drainStart) / 1000;
  queuedAtEnd = depth;
  mark(
    depth === 0
      ? `relays drained: nothing left to forward after ${drainSeconds.toFixed(1)} s`
      : `drain gave up after ${DRAIN_MS / 1000} s with ${depth} deliveries still pending`,
  );
  ending = true;
  stops.push(...(await Promise.all(relays.map((r) => stopRelay(r)))));
  mark(
    `relays stopped by SIGTERM: ${stops.map((s, i) => `relay ${i + 1} ${s.clean ? "clean" : s.how}`).join(", ")}`,
  );
  await Promise.all(pools.map((p) => p.close()));
} catch (err) {
  abort("during the load", err);
}

let dead;
let report;
let rows;
try {
  // As an operator would read it: the CLI, on the database the relays share.
  const { stdout } = await promisify(execFile)(process.execPath, [MAIN, "dlq", "list", "--json"], {
    env: { ...process.env, SG_WEBHOOKS_DATABASE_URL: databaseUrl },
  });
  dead = stdout
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l));
  ({ rows } = await db.query("SELECT id::text, delivery_id, state, claim_id FROM sg_webhooks.deliveries"));
  report = await receiver.report(join(dir, "receiver-report.json"));
  await db.end();
  await postgres.stop();
} catch (err) {
  abort("while counting", err);
}

// --- the figures --------------------------------------------------------------------------------

const { ok } = reportDrill({
  rate: RATE,
  relays: RELAYS,
  loadSeconds: LOAD_SECONDS,
  lease: LEASE,
  latencyMs: LATENCY_MS,
  outageSeconds: OUTAGE_SECONDS,
  maxInflight: MAX_INFLIGHT,
  orphan: ORPHAN,
  postgresVersion: postgres.version,
  sent,
  acked,
  refused,
  skipped,
  perSlot,
  report,
  dead,
  rows,
  logs: relays.map((_, slot) => readFileSync(logFile(slot), "utf8")),
  kills,
  downs,
  pgWindow,
  pgReadiness,
  exits,
  depths,
  queuedAtEnd,
  stops,
  drainSeconds,
  drillSeconds: (performance.now() - drillStart) / 1000,
  loadEpoch,
  timeline,
});
// DRILL_KEEP=<dir>: a copy of the relays' logs and the stand-in's report, to look into a run that passed.
if (process.env.DRILL_KEEP) cpSync(dir, process.env.DRILL_KEEP, { recursive: true });
scope.finish(ok);
process.exit(ok ? 0 : 1);
