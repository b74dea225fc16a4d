// Proves `sg-webhooks sandbox` serves its stand-ins, judges deliveries as Sourcegraph would, and deploys.
// `sg-webhooks sandbox` as a user runs it: the built CLI in a child process.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { SourcegraphWebhooks } from "../../src/components/sourcegraph-webhooks";
import { readDeclaration } from "../../src/program/config";
import { Deployment } from "../harness/deployment";
import { startHost } from "../harness/provider-host";

const ROOT = path.resolve(__dirname, "../..");
const CLI = path.join(ROOT, "dist/src/cli/main.js");

let child: ChildProcess;
let dir: string;
const lines: string[] = [];

/** Waits for a printed line matching `re`. */
function waitForLine(re: RegExp, timeoutMs = 15_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const poll = () => {
      const hit = lines.find((l) => re.test(l));
      if (hit) return resolve(hit);
      if (Date.now() - started > timeoutMs)
        return reject(new Error(`no line matching ${re}; got:\n${lines.join("\n")}`));
      setTimeout(poll, 25);
    };
    poll();
  });
}

function endpoint(prefix: string): string {
  const line = lines.find((l) => l.startsWith(prefix));
  const m = line?.match(/(http:\/\/127\.0\.0\.1:\d+\S*)/);
  if (!m) throw new Error(`no endpoint for ${prefix}`);
  return m[1]!;
}

async function graphql(sg: string, query: string, variables: Record<string, unknown>): Promise<any> {
  const res = await fetch(`${sg}/.api/graphql`, {
    method: "POST",
    headers: {
      authorization: "token fake-sg-admin-0123456789abcdef0123456789abcdef",
      "content-type": "application/json",
    },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await res.json()) as any;
  if (body.errors) throw new Error(JSON.stringify(body.errors));
  return body.data;
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), "sg-sandbox-"));
  child = spawn(process.execPath, [CLI, "sandbox", "--dir", dir], { stdio: ["ignore", "pipe", "pipe"] });
  let buffered = "";
  child.stdout!.on("data", (d) => {
    buffered += String(d);
    const parts = buffered.split("\n");
    buffered = parts.pop()!;
    lines.push(...parts);
  });
  child.stderr!.on("data", (d) => lines.push(`stderr: ${String(d)}`));
  await waitForLine(/Ctrl-C stops the sandbox/);
});

afterAll(async () => {
  if (child.exitCode === null) {
    child.kill("SIGKILL");
  }
  rmSync(dir, { recursive: true, force: true });
});

describe("sg-webhooks sandbox", () => {
  it("prints the fakes' endpoints and writes Pulumi.sandbox.yaml pointing at them", async () => {
    const sg = endpoint("sourcegraph:");
    const gl = endpoint("gitlab:");
    const bbs = endpoint("bitbucket-server:");
    const bbc = endpoint("bitbucket-cloud:");
    expect(bbc).toMatch(/\/2\.0$/);
    const file = readFileSync(path.join(dir, "Pulumi.sandbox.yaml"), "utf8");
    expect(file).toContain(`sourcegraph-webhooks:sourcegraph:\n    endpoint: ${sg}\n`);
    expect(file).toContain(`- url: ${gl}\n`);
    expect(file).toContain(`- url: ${bbs}\n`);
    expect(file).toContain(`- apiUrl: ${bbc}\n`);
    expect(file).not.toContain("github");
    expect(lines.join("\n")).toContain("GitHub is not part of the sandbox");

    // Each fake answers with its contract: the credentials printed are accepted.
    const project = await fetch(`${gl}/api/v4/projects/sandbox%2Fapp`, {
      headers: { "private-token": "glpat-sandbox-owner" },
    });
    expect(project.status).toBe(200);
    const plugin = await fetch(`${bbs}/rest/sourcegraph-admin/1.0/webhook`, {
      headers: { authorization: "Bearer bbs-admin-token" },
    });
    expect(plugin.status).toBe(200);
    const hooks = await fetch(`${bbc}/workspaces/acme/hooks`, {
      headers: { authorization: "Bearer bbc-access-token" },
    });
    expect(hooks.status).toBe(200);
  });

  it("judges each delivery the fakes send, as Sourcegraph would", async () => {
    const sg = endpoint("sourcegraph:");
    const gl = endpoint("gitlab:");
    const created = await graphql(
      sg,
      'mutation($urn: String!) { createWebhook(name: "try", codeHostKind: "GITLAB", codeHostURN: $urn, secret: "s3cret") { uuid } }',
      { urn: gl },
    );
    const uuid = created.createWebhook.uuid as string;
    const add = (token: string) =>
      fetch(`${gl}/api/v4/projects/sandbox%2Fapp/hooks`, {
        method: "POST",
        headers: { "private-token": "glpat-sandbox-owner", "content-type": "application/json" },
        body: JSON.stringify({ url: `${sg}/.api/webhooks/${uuid}`, token, push_events: true }),
      });
    expect((await add("s3cret")).status).toBe(201);
    await waitForLine(/delivery GITLAB try: push: accepted 200 \(signature valid\)/);
    expect((await add("wrong")).status).toBe(201);
    await waitForLine(/delivery GITLAB try: refused 400: Could not validate payload with secret\.$/);
  });

  it("reports what Sourcegraph's stand-in answered the sender", async () => {
    const sg = endpoint("sourcegraph:");
    const created = await graphql(
      sg,
      'mutation($urn: String!) { createWebhook(name: "direct", codeHostKind: "GITLAB", codeHostURN: $urn, secret: "s3cret") { uuid } }',
      { urn: "https://gitlab.example.com" },
    );
    const uuid = created.createWebhook.uuid as string;
    const send = async (uuidPart: string, token: string, kind: string) => {
      const res = await fetch(`${sg}/.api/webhooks/${uuidPart}`, {
        method: "POST",
        headers: { "x-gitlab-token": token, "content-type": "application/json" },
        body: JSON.stringify({ object_kind: kind }),
      });
      return [res.status, await res.text()];
    };
    expect(await send(uuid, "wrong", "push")).toEqual([400, "Could not validate payload with secret.\n"]);
    await waitForLine(/^delivery GITLAB direct: refused 400: Could not validate payload with secret\.$/);
    expect(await send(uuid, "s3cret", "merge_request")).toEqual([200, ""]);
    await waitForLine(/^delivery GITLAB direct: merge_request: accepted 200 \(signature valid\)$/);
    expect(await send(uuid, "s3cret", "wiki_page")).toEqual([204, ""]);
    await waitForLine(/^delivery GITLAB direct: ignored 204: kind: wiki_page: unknown object kind$/);
    const gone = "00000000-0000-4000-8000-000000000000";
    expect(await send(gone, "s3cret", "push")).toEqual([404, "Could not find webhook with provided UUID.\n"]);
    await waitForLine(new RegExp(`^delivery ${gone}: no such receiver \\(answered 404\\)$`));
  });

  it("the root program deploys Pulumi.sandbox.yaml against the fakes, and every test delivery is accepted", async () => {
    const doc = parse(readFileSync(path.join(dir, "Pulumi.sandbox.yaml"), "utf8")) as {
      config: Record<string, unknown>;
    };
    const config = Object.fromEntries(Object.entries(doc.config).map(([k, v]) => [k, JSON.stringify(v)]));
    const declaration = readDeclaration("sourcegraph-webhooks", config);
    const host = await startHost();
    try {
      const engine = new Deployment(host, "sourcegraph-webhooks", "sandbox");
      const steps = await engine.up(() => new SourcegraphWebhooks("sourcegraph", declaration));
      // 3 receivers, 2 GitLab hooks, 1 Bitbucket Server webhook, 2 Bitbucket Cloud hooks.
      expect(steps.filter((s) => s.op === "create")).toHaveLength(8);
      await waitForLine(
        /delivery GITLAB sourcegraph-webhooks-sandbox-sourcegraph-gitlab-\S+: push: accepted/,
      );
      await waitForLine(/delivery BITBUCKETSERVER sourcegraph-webhooks-sandbox-\S+: \S+: accepted/);
      await waitForLine(/delivery BITBUCKETCLOUD sourcegraph-webhooks-sandbox-\S+: repo:push: accepted/);
      expect(
        lines.filter((l) => l.includes("refused") && l.includes("sourcegraph-webhooks-sandbox")),
      ).toEqual([]);
      await engine.destroy();
    } finally {
      await host.close();
    }
  });

  it("stops on SIGINT and closes every fake", async () => {
    const ports = ["sourcegraph:", "gitlab:", "bitbucket-server:"].map((p) => endpoint(p));
    const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
    child.kill("SIGINT");
    expect(await exited).toBe(0);
    expect(lines).toContain("sandbox stopped");
    for (const url of ports) {
      await expect(fetch(url)).rejects.toThrow();
    }
  });
});
