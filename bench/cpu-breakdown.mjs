// Where the full relay's CPU goes per request, by stage: receive, verify, store, forward, answer,
// other. Node 20 has no per-thread CPU call, so the benchmark reads /proc/<pid>/task/<tid>/stat:
// the store's worker thread (its tid told by bench/relay-probe.cjs) is all store; the main thread
// is split by a CPU profile sampled during the load, each sample given to a stage by its stack with
// the rules below. They name the relay's files as built in dist/: when a file is renamed or a stage
// moves, this is the one place to change.
import { readdirSync, readFileSync } from "node:fs";

export const STAGES = ["receive", "verify", "store", "forward", "answer", "other"];

/** CPU seconds (user + system) of `pid`: the whole process (threads that ended included), and by thread. */
export function threadCpu(pid) {
  const seconds = (stat) => {
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) / 100;
  };
  const threads = new Map();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      threads.set(tid, seconds(readFileSync(`/proc/${pid}/task/${tid}/stat`, "utf8")));
    } catch {
      // The thread ended between the listing and the read: the process total still counts it.
    }
  }
  return { total: seconds(readFileSync(`/proc/${pid}/stat`, "utf8")), threads };
}

/**
 * Per request, between two `threadCpu` readings: the main thread, the store's thread, and every
 * other thread (V8's GC and compiler helpers, libuv's pool, which writes the log), in µs.
 */
export function threadSplit(before, after, pid, storeTid, requests) {
  const delta = (tid) => (after.threads.get(tid) ?? 0) - (before.threads.get(tid) ?? 0);
  const us = (s) => (s * 1e6) / Math.max(1, requests);
  const main = delta(String(pid));
  const store = storeTid === undefined ? 0 : delta(storeTid);
  return { main: us(main), store: us(store), otherThreads: us(after.total - before.total - main - store) };
}

// A frame's file, as the profile names it: node's own modules `node:_http_server`, ours and the
// dependencies `file:///…/dist/src/relay/forwarder.js`, `file:///…/node_modules/undici/…`.
const relay = (...names) => new RegExp(`/dist/src/relay/(${names.join("|")})\\.js$`);
const OURS_RECEIVE = relay(
  "node-adapter",
  "read-body",
  "body-rate",
  "byte-budget",
  "servers",
  "intake-limits",
);
const OURS_VERIFY = relay("receive", "repeated-headers", "receivers", "weak-secrets");
const OURS_STORE = relay(
  "threaded-store",
  "store-target",
  "store-worker",
  "tick-batch",
  "sqlite-store",
  "sqlite-rows",
  "postgres/[\\w-]+",
);
const OURS_FORWARD = relay("forwarder", "classify");
const INGEST = /\/dist\/src\/ingest\//;
const UNDICI = /\/node_modules\/undici\/|^node:internal\/deps\/undici\//;
/** What node:http runs to send an answer; the rest of node:_http_server parses and routes requests. */
const ANSWER_IN_HTTP_SERVER = new Set([
  "writeHead",
  "_implicitHeader",
  "resOnFinish",
  "detachSocket",
  "_finish",
]);

/**
 * The peer, @octokit/webhooks (one bundled file): its stages told apart by function. Its
 * getPayload decodes the body to text, which ours does while verifying: that stays verify.
 */
const OCTOKIT = /\/node_modules\/@octokit\//;
const OCTOKIT_RECEIVE = new Set(["getPayloadFromRequestStream", "concatUint8Array"]);
const OCTOKIT_ANSWER = new Set(["handleResponse"]);

const isForward = (f) => OURS_FORWARD.test(f.url) || UNDICI.test(f.url) || f.url.startsWith("wasm://");

/**
 * The stage of one frame, or undefined for a frame that only says what called it (node:net,
 * streams, events, promises, builtins such as JSON.parse or the HMAC's native update, pino,
 * prom-client): the sample then goes to the nearest caller that has a stage. `callers` are the
 * frames above it, nearest first.
 */
function frameStage(f, callers) {
  // Answering: node:http writing the status line, headers and body, and the adapter's answer().
  if (f.url === "node:_http_outgoing") return "answer";
  if (f.url === "node:_http_server" && ANSWER_IN_HTTP_SERVER.has(f.functionName)) return "answer";
  if (OURS_RECEIVE.test(f.url) && f.functionName === "answer") return "answer";
  // Storing: the client of the store's thread, and the message port it talks through (the only
  // one in the relay: pino writes through sonic-boom, not a worker).
  if (
    OURS_STORE.test(f.url) ||
    f.url === "node:internal/worker" ||
    f.url.startsWith("node:internal/worker/")
  ) {
    return "store";
  }
  if (f.url === "node:internal/per_context/messageport") return "store";
  // Forwarding: the forwarder, undici (its HTTP parser is WebAssembly).
  if (isForward(f)) return "forward";
  // Verifying: src/ingest and the endpoint's checks around it. The forwarder re-signs with
  // src/ingest too: that is forwarding.
  if (INGEST.test(f.url)) return callers.some(isForward) ? "forward" : "verify";
  if (OURS_VERIFY.test(f.url)) return f.functionName === "resolveReceiver" ? "receive" : "verify";
  // Receiving: node:http parsing the request and reading its body, the adapter's routing and bounds.
  if (f.url === "node:_http_server" || f.url === "node:_http_common" || f.url === "node:_http_incoming") {
    return "receive";
  }
  if (OURS_RECEIVE.test(f.url)) return "receive";
  // The peer, measured the same way for comparison: reading the body, verifying and parsing, answering.
  if (OCTOKIT.test(f.url)) {
    if (OCTOKIT_RECEIVE.has(f.functionName)) return "receive";
    return OCTOKIT_ANSWER.has(f.functionName) ? "answer" : "verify";
  }
  return undefined;
}

/**
 * The stage of one sample, from its stack (leaf first): the innermost frame that has one. Samples
 * with none: GC, "(program)" (native code with no JavaScript on the stack: libuv reading and
 * writing sockets, the event loop), and JavaScript started by a timer or an I/O callback of nothing
 * above, such as sonic-boom's asynchronous log writes.
 */
export function sampleStage(stack) {
  for (let i = 0; i < stack.length; i++) {
    const stage = frameStage(stack[i], stack.slice(i + 1));
    if (stage) return stage;
  }
  return "other";
}

const LOGGING = /\/node_modules\/(pino|sonic-boom|pino-std-serializers|fast-redact|quick-format-unescaped)\//;
const METRICS = /\/node_modules\/(prom-client|tdigest|bintrees)\//;

/** `node:_http_server` as is; a file under the repository or node_modules from there. */
function shortUrl(url) {
  const m = /\/(dist\/.*|node_modules\/.*)$/.exec(url);
  return m ? m[1] : url;
}

/** How often the profiler samples (bench/relay-probe.cjs sets it from BENCH_PROFILE_INTERVAL_US). */
export const SAMPLING_INTERVAL_US = 500;

/**
 * Each sample of a V8 CPU profile (Profiler.stop's) taken on time while its thread was not idle:
 * its stack, leaf first. V8 samples by signalling the thread; a thread the kernel had descheduled
 * (two cores, a dozen runnable processes) takes the signal when it runs again, so that sample is
 * late and lands where the thread resumed: mostly the syscall whose wake-up of another process
 * preempted it, a socket write. Counted, those samples would charge the machine's contention to
 * `writev` (measured: 13% of late samples against 5% of timely ones in the relay's profile).
 * Samples more than twice the interval after the previous one are left out; the others still fall
 * where the thread spent its time.
 */
function* busyStacks(profile, counts) {
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const stacks = new Map();
  for (const [i, id] of profile.samples.entries()) {
    if (nodes.get(id).callFrame.functionName === "(idle)") continue;
    if (profile.timeDeltas[i] > 2 * SAMPLING_INTERVAL_US) {
      counts.late++;
      continue;
    }
    if (!stacks.has(id)) {
      const stack = [];
      for (let n = id; n !== undefined; n = parent.get(n)) stack.push(nodes.get(n).callFrame);
      stacks.set(id, stack);
    }
    yield stacks.get(id);
  }
}

const frameName = (f) => `${f.functionName || "(anonymous)"}${f.url ? ` ${shortUrl(f.url)}` : ""}`;

/** Counts by name, as the `n` largest shares of `total`. */
const largest = (counts, total, n) =>
  [...counts]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([name, count]) => ({ name, share: count / Math.max(1, total) }));

/**
 * The main thread's profile read into shares: for each stage, its fraction of the samples that
 * were not idle and the functions that spent most of it (self time); and, across stages, the
 * fraction spent in logging and in metrics.
 */
export function profileShares(profile, topN = 3) {
  const count = Object.fromEntries(STAGES.map((s) => [s, 0]));
  const self = Object.fromEntries(STAGES.map((s) => [s, new Map()]));
  let busy = 0;
  let logging = 0;
  let metrics = 0;
  const dropped = { late: 0 };
  for (const stack of busyStacks(profile, dropped)) {
    const stage = sampleStage(stack);
    busy++;
    count[stage]++;
    if (stack.some((f) => LOGGING.test(f.url))) logging++;
    if (stack.some((f) => METRICS.test(f.url))) metrics++;
    const name = frameName(stack[0]);
    self[stage].set(name, (self[stage].get(name) ?? 0) + 1);
  }
  return {
    samples: profile.samples.length,
    busy,
    late: dropped.late,
    stages: Object.fromEntries(
      STAGES.map((s) => [s, { share: count[s] / Math.max(1, busy), top: largest(self[s], busy, topN) }]),
    ),
    logging: logging / Math.max(1, busy),
    metrics: metrics / Math.max(1, busy),
  };
}

/**
 * Where a thread that is one stage (the store's) spends its time: the functions with the most self
 * time, and the relay's own functions (dist/) with the most time including what they call, each as
 * a share of its busy samples.
 */
export function threadHotspots(profile, topN = 5) {
  const self = new Map();
  const inclusive = new Map();
  let busy = 0;
  const dropped = { late: 0 };
  for (const stack of busyStacks(profile, dropped)) {
    busy++;
    const name = frameName(stack[0]);
    self.set(name, (self.get(name) ?? 0) + 1);
    const ours = new Set(stack.filter((f) => /\/dist\//.test(f.url)).map(frameName));
    for (const n of ours) inclusive.set(n, (inclusive.get(n) ?? 0) + 1);
  }
  return {
    samples: profile.samples.length,
    busy,
    late: dropped.late,
    self: largest(self, busy, topN),
    ours: largest(inclusive, busy, topN),
  };
}

/**
 * µs per request by stage: the main thread's µs split by the profile's shares, the store's thread
 * added to store; other threads apart (no stage can be told from outside).
 */
export function breakdown(threads, shares) {
  const rows = STAGES.map((stage) => {
    const main = threads.main * shares.stages[stage].share;
    const thread = stage === "store" ? threads.store : 0;
    return { stage, main, thread, total: main + thread, top: shares.stages[stage].top };
  });
  return {
    rows,
    otherThreads: threads.otherThreads,
    total: threads.main + threads.store + threads.otherThreads,
    logging: threads.main * shares.logging,
    metrics: threads.main * shares.metrics,
  };
}
