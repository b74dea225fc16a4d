// Preloaded (node --require) into the relay the ingest benchmark measures; it runs in every thread.
// - BENCH_THREADS_FILE: each worker thread (the SQLite store's) appends `<threadId> <tid>` to it.
//   Node 20 names every thread "node" and has no per-thread CPU call, so the benchmark reads
//   /proc/<pid>/task/<tid>/stat and must be told which tid is the store's.
// - BENCH_PROFILE_FILE: every thread samples a CPU profile from one SIGUSR2 to the next, so the
//   profile covers the measured load alone (not start-up or the warm-up); the main thread's is
//   written to that file, a worker's to `<file>.thread-<threadId>`.
const { isMainThread, threadId } = require("node:worker_threads");
const { appendFileSync, readlinkSync, renameSync, writeFileSync } = require("node:fs");

const threadsFile = process.env.BENCH_THREADS_FILE;
const profileFile = process.env.BENCH_PROFILE_FILE;

if (!isMainThread && threadsFile) {
  // `<pid>/task/<tid>`, read on this thread.
  const tid = readlinkSync("/proc/thread-self").split("/").pop();
  appendFileSync(threadsFile, `${threadId} ${tid}\n`);
}

// One profiler per thread; the main thread, which alone gets signals, tells the others.
if (profileFile) {
  const { Session } = require("node:inspector");
  const session = new Session();
  session.connect();
  const file = isMainThread ? profileFile : `${profileFile}.thread-${threadId}`;
  const fail = (err) => writeFileSync(file, JSON.stringify({ error: err.message }));
  const toggle = (start) => {
    if (start) {
      session.post("Profiler.enable", () =>
        // bench/cpu-breakdown.mjs's SAMPLING_INTERVAL_US, by which it tells late samples.
        session.post(
          "Profiler.setSamplingInterval",
          { interval: Number(process.env.BENCH_PROFILE_INTERVAL_US) },
          () => session.post("Profiler.start", (err) => err && fail(err)),
        ),
      );
      return;
    }
    session.post("Profiler.stop", (err, result) => {
      if (err) return fail(err);
      // Whole or not at all: the benchmark waits for the file to appear.
      writeFileSync(`${file}.part`, JSON.stringify(result.profile));
      renameSync(`${file}.part`, file);
    });
  };
  const channel = new BroadcastChannel("sg-webhooks-bench-profile");
  // Neither end keeps a thread alive: the relay stops as it would without the probe.
  channel.unref();
  if (isMainThread) {
    let sampling = false;
    process.on("SIGUSR2", () => {
      sampling = !sampling;
      channel.postMessage(sampling);
      toggle(sampling);
    });
  } else {
    channel.onmessage = ({ data }) => toggle(data);
  }
}
