// Provisioning fault drill: create and destroy 100 hooks per code host, plus
// their receiver, through the real dynamic-provider host over gRPC (16 operations in flight),
// while every fake answers about one request in eight with a random fault: 429, 5xx, or a
// connection dropped before or after the request was processed. An operation that still fails
// after the provider's retries is run again as a user would (the next `pulumi up` or `pulumi
// destroy`, from the state the engine kept), until the run ends clean. Prints what was injected
// and what reached the engine, and checks the end states: exactly one hook per resource after
// create (no duplicates), nothing left after destroy (no orphans). Exits 1 when either fails.
//   node bench/drill-provision.mjs [--seed N] [--hooks N] [--hosts gitlab,bitbucket-server,bitbucket-cloud]
import { parseArgs } from "node:util";
import { CODE_HOSTS, startCodeHost, startSourcegraph } from "./provisioning/code-hosts.mjs";
import { Stack } from "./provisioning/engine.mjs";
import { FAULT_MIX, faultsSince, seeded } from "./provisioning/faults.mjs";
import { deadline, startProviderHost } from "./provisioning/harness.mjs";
import { table } from "./table.mjs";

const { values: args } = parseArgs({
  options: {
    seed: { type: "string", default: process.env.BENCH_DRILL_SEED ?? "20260611" },
    hooks: { type: "string", default: "100" },
    hosts: { type: "string", default: CODE_HOSTS.join(",") },
  },
});
const SEED = Number(args.seed);
const HOOKS = Number(args.hooks);
const HOSTS = args.hosts.split(",");
const PARALLEL = 16;
/** Runs of `pulumi up` (or `destroy`) a user would make before giving up. */
const MAX_RUNS = 8;
const LATENCY_MS = 5;

deadline(170_000, "bench/drill-provision");

const mix = FAULT_MIX.map(
  (f) => `${f.kind === "status" ? f.status : f.kind} ${(f.chance * 100).toFixed(1)}%`,
);
console.log(
  [
    `Provisioning fault drill, seed ${SEED} (repeat with --seed ${SEED}): ${HOOKS} hooks per code host + 1 receiver,`,
    `through the real dynamic-provider host (gRPC), ${PARALLEL} operations in flight, fakes answering after ${LATENCY_MS} ms.`,
    `Every request to every fake (Sourcegraph included) meets, at random: ${mix.join(", ")}.`,
    "The seed fixes each fake's sequence of draws; which request meets which draw also depends on timing.",
    "An operation that fails after the provider's retries is run again by the next `pulumi up` / `pulumi destroy`",
    "from the state the engine kept (others go on, as with --continue-on-error; dependents of a failed resource",
    `wait for the next run; at most ${MAX_RUNS} runs).`,
    "GitHub is not drilled: its hooks are @pulumi/github resources, not a dynamic provider.",
    "",
  ].join("\n"),
);

const network = (offset) => ({ latencyMs: LATENCY_MS, random: seeded(SEED + offset) });
const sourcegraph = await startSourcegraph(network(0));
for (const f of FAULT_MIX) sourcegraph.server.inject(f);

const rows = [];
const problems = [];
let failuresTotal = 0;
let duplicatesTotal = 0;
let orphansTotal = 0;

/** Runs `step` (one pulumi command) until a run has no failure; returns what it took. */
async function converge(step) {
  const runs = [];
  for (let run = 1; run <= MAX_RUNS; run++) {
    const host = await startProviderHost();
    const waves = await step(host);
    await host.close();
    const failures = waves.flatMap((w) => w.failures);
    runs.push({
      ops: waves.reduce((n, w) => n + w.count, 0),
      failures,
    });
    if (failures.length === 0) return { runs, converged: true };
  }
  return { runs, converged: false };
}

for (const [index, kind] of HOSTS.entries()) {
  const stack = new Stack(PARALLEL);
  const fixture = await startCodeHost(kind, {
    count: HOOKS,
    network: network(index + 1),
    sourcegraph,
    stack,
    prefix: "bench-drill",
  });
  for (const f of FAULT_MIX) fixture.server.inject(f);

  for (const phase of ["create", "destroy"]) {
    const from = { code: fixture.server.log.length, sg: sourcegraph.server.log.length };
    const started = performance.now();
    const { runs, converged } = await converge((host) =>
      phase === "create" ? stack.up(host, fixture.waves) : stack.destroy(host, fixture.waves),
    );
    const wall = (performance.now() - started) / 1000;
    const failures = runs.flatMap((r) => r.failures);
    failuresTotal += failures.length;

    let duplicates = 0;
    let orphans = 0;
    let endState = "";
    if (phase === "create") {
      const receivers = fixture.receivers().length;
      const perResource = fixture.hooks.map((h) => h.remote());
      duplicates = perResource.filter((n) => n > 1).length + Math.max(0, receivers - 1);
      const missing = perResource.filter((n) => n === 0).length + (receivers === 0 ? 1 : 0);
      const strays = fixture.remoteHooks() - perResource.reduce((a, b) => a + b, 0);
      duplicates += Math.max(0, strays);
      endState = `${fixture.remoteHooks()} hooks, ${receivers} receiver(s) for ${HOOKS} + 1 declared`;
      if (missing > 0 || !converged) problems.push(`${kind}: create did not converge (${missing} missing)`);
      duplicatesTotal += duplicates;
    } else {
      orphans = fixture.remoteHooks() + fixture.receivers().length;
      endState = `${fixture.remoteHooks()} hooks, ${fixture.receivers().length} receiver(s) left; ${stack.state.size} in state`;
      if (!converged || stack.state.size > 0) problems.push(`${kind}: destroy did not converge`);
      orphansTotal += orphans;
    }
    const injected = faultsSince(fixture.server, from.code);
    const sgInjected = faultsSince(sourcegraph.server, from.sg);
    rows.push({
      host: kind,
      phase,
      runs: runs.length,
      ops: runs.reduce((n, r) => n + r.ops, 0),
      f429: `${injected[429]}+${sgInjected[429]}`,
      f5xx: `${injected["5xx"]}+${sgInjected["5xx"]}`,
      dropBefore: `${injected.dropBefore}+${sgInjected.dropBefore}`,
      dropAfter: `${injected.dropAfter}+${sgInjected.dropAfter}`,
      failures: failures.length,
      duplicates: phase === "create" ? duplicates : "",
      orphans: phase === "destroy" ? orphans : "",
      wall: wall.toFixed(1),
      endState,
      samples: failures.slice(0, 2).map((f) => f.message.split("\n")[0].slice(0, 160)),
    });
  }
  await fixture.close();
}
await sourcegraph.server.close();

console.log(
  table(
    [
      { key: "host", title: "host" },
      { key: "phase", title: "phase" },
      { key: "runs", title: "runs", align: "right" },
      { key: "ops", title: "ops", align: "right" },
      { key: "f429", title: "429s", align: "right" },
      { key: "f5xx", title: "5xx", align: "right" },
      { key: "dropBefore", title: "dropped before", align: "right" },
      { key: "dropAfter", title: "dropped after", align: "right" },
      { key: "failures", title: "failures", align: "right" },
      { key: "duplicates", title: "duplicates", align: "right" },
      { key: "orphans", title: "orphans", align: "right" },
      { key: "wall", title: "wall s", align: "right" },
      { key: "endState", title: "end state" },
    ],
    rows,
  ),
);
console.log("");
console.log("Faults are given as <code host>+<Sourcegraph> (its receiver's requests).");
console.log("failures: operations that reached the engine as errors, each run again by the next command:");
for (const r of rows) for (const s of r.samples) console.log(`  ${r.host} ${r.phase}: ${s}`);
for (const p of problems) console.log(`PROBLEM: ${p}`);

const ok = duplicatesTotal === 0 && orphansTotal === 0 && problems.length === 0;
const result = {
  bench: "drill-provision",
  seed: SEED,
  hooksPerHost: HOOKS,
  faultMix: FAULT_MIX.map(({ kind, status, chance }) => ({ kind, status, chance })),
  rows: rows.map(({ samples: _, ...r }) => r),
  failuresSurfaced: failuresTotal,
  duplicates: duplicatesTotal,
  orphans: orphansTotal,
  problems,
  ok,
  runSeconds: Math.round(performance.now() / 1000),
};
console.log(`run time: ${(performance.now() / 1000).toFixed(0)} s`);
console.log(`RESULT ${JSON.stringify(result)}`);
process.exit(ok ? 0 : 1);
