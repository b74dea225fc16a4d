// The sandbox serves GitHub's stand-in for doctor and redeliver (its stack file still declares no
// GitHub connection), and Sourcegraph's stand-in has a code host connection for every code host.
// The sandbox requires its stand-ins at start, so it runs from the build, as the CLI does.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SANDBOX_CREDENTIALS, type Sandbox, startSandbox } from "../../dist/src/cli/commands/sandbox";

let sandbox: Sandbox;
const lines: string[] = [];
const dir = mkdtempSync(path.join(tmpdir(), "sg-sandbox-github-"));

beforeAll(async () => {
  sandbox = await startSandbox({
    dir,
    stack: "sandbox",
    project: "sourcegraph-webhooks",
    out: (l) => lines.push(l),
  });
});
afterAll(async () => {
  await sandbox.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe("sandbox: GitHub and code host connections", () => {
  it("serves GitHub Enterprise Server's API with the printed token, outside the stack file", async () => {
    const gh = sandbox.endpoints.github;
    expect(lines.find((l) => l.startsWith("github:"))).toContain(gh);
    const hooks = await fetch(`${gh}/api/v3/orgs/acme/hooks`, {
      headers: { authorization: `Bearer ${SANDBOX_CREDENTIALS.githubToken}` },
    });
    expect(hooks.status).toBe(200);
    expect(
      (
        await fetch(`${gh}/api/v3/repos/acme/widgets/hooks`, {
          headers: { authorization: `token ${SANDBOX_CREDENTIALS.githubToken}` },
        })
      ).status,
    ).toBe(200);
    expect((await fetch(`${gh}/api/v3/orgs/acme/hooks`)).status).toBe(401);
    expect(readFileSync(sandbox.configFile, "utf8")).not.toMatch(/:github:/);
  });

  it("gives Sourcegraph's stand-in a code host connection for each code host", async () => {
    const res = await fetch(`${sandbox.endpoints.sourcegraph}/.api/graphql`, {
      method: "POST",
      headers: {
        authorization: `token ${SANDBOX_CREDENTIALS.sourcegraphToken}`,
        "content-type": "application/json",
      },
      body: JSON.stringify({ query: "{ externalServices { nodes { kind config } } }" }),
    });
    const nodes = (
      (await res.json()) as { data: { externalServices: { nodes: Array<{ kind: string; config: string }> } } }
    ).data.externalServices.nodes;
    const byKind = Object.fromEntries(nodes.map((n) => [n.kind, n.config]));
    expect(Object.keys(byKind).sort()).toEqual(["BITBUCKETCLOUD", "BITBUCKETSERVER", "GITHUB", "GITLAB"]);
    expect(byKind.GITLAB).toContain(JSON.stringify(sandbox.endpoints.gitlab));
    expect(byKind.BITBUCKETSERVER).toContain(JSON.stringify(sandbox.endpoints.bitbucketServer));
    expect(byKind.GITHUB).toContain(JSON.stringify(sandbox.endpoints.github));
    expect(byKind.BITBUCKETCLOUD).toContain('"https://bitbucket.org"');
  });
});
