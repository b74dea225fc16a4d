// What both provisioning scripts need from the repository: the built package (dist/, from
// `npm run build`), the test harness that drives the real dynamic-provider host over gRPC (compiled
// to dist-bench/ by tsconfig.bench.json, here when missing or older than its source), and a hard
// deadline that kills every provider host started, so a run always ends and leaves nothing behind.
import { execFileSync } from "node:child_process";
import { existsSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";

export const root = join(import.meta.dirname, "../..");
const require = createRequire(join(root, "package.json"));

const harnessSource = join(root, "test/harness/provider-host.ts");
const harnessBuilt = join(root, "dist-bench/test/harness/provider-host.js");
if (!existsSync(join(root, "dist/providers/gitlab/index.js"))) {
  console.error("bench: dist/ is missing; run `npm run build` first");
  process.exit(2);
}
if (!existsSync(harnessBuilt) || statSync(harnessBuilt).mtimeMs < statSync(harnessSource).mtimeMs) {
  execFileSync(
    process.execPath,
    [require.resolve("typescript/bin/tsc"), "-p", join(root, "tsconfig.bench.json")],
    {
      stdio: "inherit",
    },
  );
}

const harness = require(harnessBuilt);
const { forwardingProvider } = require(join(root, "dist/src/dynamic/forwarding-provider.js"));

export const { serializeProvider, dynamicUrn } = harness;
export { forwardingProvider };

const exitWithParent = join(import.meta.dirname, "exit-with-parent.cjs");

/** Provider hosts alive now: the deadline and process exit kill them. */
const hosts = new Set();

/**
 * Starts the dynamic-provider host as the engine would for one command (`pulumi up`, `refresh`,
 * `destroy`): a fresh process, so nothing learned by an earlier command (such as a rate) carries
 * over. Its `require` resolves from the repository root, the program directory of these runs (the
 * harness's own REPO_ROOT points into dist-bench/ once compiled), and it sees only `env`.
 */
export async function startProviderHost(env = {}) {
  const host = await harness.ProviderHost.start({
    cwd: root,
    env: { PATH: process.env.PATH, NODE_OPTIONS: `--require "${exitWithParent}"`, ...env },
  });
  hosts.add(host);
  const close = host.close.bind(host);
  host.close = async () => {
    hosts.delete(host);
    await close();
  };
  return host;
}

function killHosts() {
  for (const host of hosts) host.child?.kill("SIGKILL");
}
process.on("exit", killHosts);
for (const signal of ["SIGINT", "SIGTERM"]) {
  process.on(signal, () => {
    killHosts();
    process.exit(130);
  });
}

/** Ends the run with exit code 2 after `ms`, whatever it is doing. */
export function deadline(ms, what) {
  setTimeout(() => {
    console.error(`${what}: gave up after ${Math.round(ms / 1000)} s (hard timeout)`);
    killHosts();
    process.exit(2);
  }, ms).unref();
}
