// Proves the package as `npm pack` ships it works installed in a user's project.
// The package as a user's project has it: only the files `npm pack` publishes, under the project's
// node_modules, with the Pulumi program's directory as the dynamic-provider host's working
// directory. Proves that the published files hold everything the providers, the CLI, the relay's
// store thread and the sandbox's stand-ins need, and that the serialized stubs resolve from a
// user's project.
import { execFileSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { forwardingProvider } from "../../src/dynamic/forwarding-provider";
import type { SourcegraphFake } from "../../src/stand-ins/sourcegraph";
import { dynamicUrn, ProviderHost, REPO_ROOT, serializeProvider } from "../harness/provider-host";

const NAME = "pulumi-sourcegraph-webhooks";
let project: string;
let host: ProviderHost;
let fake: SourcegraphFake;

/** The files `npm pack` would publish, without running the build again. */
function packedFiles(): string[] {
  const out = execFileSync("npm", ["pack", "--dry-run", "--json", "--ignore-scripts"], {
    cwd: REPO_ROOT,
    encoding: "utf8",
  });
  return (JSON.parse(out) as Array<{ files: Array<{ path: string }> }>)[0]!.files.map((f) => f.path);
}

beforeAll(async () => {
  project = mkdtempSync(path.join(tmpdir(), "sgw-user-project-"));
  const installed = path.join(project, "node_modules", NAME);
  for (const file of packedFiles()) {
    mkdirSync(path.dirname(path.join(installed, file)), { recursive: true });
    cpSync(path.join(REPO_ROOT, file), path.join(installed, file));
  }
  // The package's dependencies, as npm would hoist them beside it.
  for (const dep of readdirSync(path.join(REPO_ROOT, "node_modules"))) {
    if (dep === NAME || dep.startsWith(".")) continue;
    symlinkSync(path.join(REPO_ROOT, "node_modules", dep), path.join(project, "node_modules", dep));
  }
  // The stand-in comes from the installed copy too, as the sandbox loads it.
  const { startSourcegraphFake } = createRequire(path.join(project, "index.js"))(
    path.join(installed, "dist/src/stand-ins/sourcegraph/index.js"),
  );
  fake = await startSourcegraphFake();
  host = await ProviderHost.start({
    cwd: project,
    env: { PATH: process.env.PATH, SG_WEBHOOKS_RETRY_BASE_MS: "5" },
  });
});

afterAll(async () => {
  await host?.close();
  await fake?.close();
  if (project) rmSync(project, { recursive: true, force: true });
});

describe("the published package in a user's project", () => {
  it("runs a receiver's create, read and delete through the host from the project's node_modules", async () => {
    const { ADMIN_TOKEN } = await import("../../src/stand-ins/sourcegraph");
    const urn = dynamicUrn("sourcegraph", "Receiver", "github");
    const news = {
      __provider: await serializeProvider(forwardingProvider("sourcegraph")),
      codeHostKind: "GITHUB",
      codeHostUrn: "https://github.com",
      webhookName: "user-project-github",
      sourcegraph: { endpoint: fake.url, accessToken: ADMIN_TOKEN },
    };
    const checked = await host.check(urn, {}, news);
    expect(checked.failures).toEqual([]);
    const created = await host.create(urn, checked.inputs);
    expect(created.outs.url).toBe(`${fake.url}/.api/webhooks/${created.outs.uuid}`);
    expect(fake.receivers()).toHaveLength(1);

    const read = await host.read(created.id, urn, created.outs);
    expect(read?.props.webhookName).toBe("user-project-github");

    await host.delete(created.id, urn, created.outs);
    expect(fake.receivers()).toHaveLength(0);
  });

  it("ships the CLI with every command", () => {
    const help = execFileSync(
      process.execPath,
      [path.join(project, "node_modules", NAME, "dist/src/cli/main.js"), "--help"],
      {
        encoding: "utf8",
      },
    );
    for (const command of ["serve", "dlq", "sandbox"]) expect(help).toContain(command);
  });

  it("runs the relay's store on its thread from the installed copy", () => {
    const dataDir = path.join(project, "relay-data");
    const script = [
      `const { ThreadedStore } = require(${JSON.stringify(path.join(project, "node_modules", NAME, "dist/src/relay"))});`,
      `ThreadedStore.open(${JSON.stringify(dataDir)})`,
      "  .then(async (s) => { const c = await s.counts(); await s.close(); console.log(JSON.stringify(c)); })",
      "  .catch((err) => { console.error(err.message); process.exit(1); });",
    ].join("\n");
    const out = execFileSync(process.execPath, ["-e", script], { cwd: project, encoding: "utf8" });
    expect(JSON.parse(out)).toEqual({ pending: 0, dead: 0 });
  });
});
