// The end-to-end tests' world: every stand-in, a deployment of the component through the real
// dynamic-provider host (test/harness/deployment.ts), GitHub's hooks created on GitHub's stand-in
// through its API as @pulumi/github would create them (its provider plugin cannot run here), the
// declaration written as the stack file the root program deploys (the GitOps case), and doctor and
// redeliver run in-process on it, their human and JSON output kept to be searched for secrets.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import type * as pulumi from "@pulumi/pulumi";
import pino from "pino";
import { expect } from "vitest";
import { stringify } from "yaml";
import type { SourcegraphWebhooksArgs } from "../../src/components/args";
import { SourcegraphWebhooks } from "../../src/components/sourcegraph-webhooks";
import {
  type DoctorOptions,
  type RedeliverOptions,
  type RedeliverReport,
  type Report,
  renderHuman,
  renderJson,
  renderRedeliverHuman,
  renderRedeliverJson,
  runDoctor,
  runRedeliver,
} from "../../src/doctor";
import { type Relay, startRelay } from "../../src/relay";
import { type BitbucketCloudFake, startBitbucketCloudFake } from "../../src/stand-ins/bitbucket-cloud";
import { type BitbucketServerFake, startBitbucketServerFake } from "../../src/stand-ins/bitbucket-server";
import { type GitHubDeliveryRecord, type GitHubFake, startGitHubFake } from "../../src/stand-ins/github";
import { type GitLabFake, startGitLabFake } from "../../src/stand-ins/gitlab";
import { ADMIN_TOKEN, type SourcegraphFake, startSourcegraphFake } from "../../src/stand-ins/sourcegraph";
import { Deployment } from "../harness/deployment";
import { unsecret } from "../harness/mock-engine";
import { type ProviderHost, startHost } from "../harness/provider-host";

export const GH_TOKEN = "fake-gh-e2e-token-0123456789abcdef01234567";
export const GL_TOKEN = "gl-e2e-owner-0123456789";
export const BBS_TOKEN = "bbs-admin-token";
export const BBC_TOKEN = "bbc-access-token";
export const PROJECT = "sgw";
export const STACK = "test";

export interface Outputs<T> {
  readonly report: T;
  readonly human: string;
  readonly json: string;
}

export interface World {
  readonly sg: SourcegraphFake;
  readonly gh: GitHubFake;
  readonly gl: GitLabFake;
  readonly bbs: BitbucketServerFake;
  readonly bbc: BitbucketCloudFake;
  readonly relay?: Relay;
  readonly relayDir?: string;
  readonly dir: string;
  /** The stack file as written from the declaration; `writeStack` writes variants. */
  readonly stackFile: string;
  declaration(): SourcegraphWebhooksArgs;
  /** Writes `Pulumi.<stack>.yaml` for the declaration (changed by `edit`) and returns its path. */
  writeStack(edit?: (args: SourcegraphWebhooksArgs) => void, stack?: string): string;
  doctor(options?: Partial<DoctorOptions>): Promise<Outputs<Report>>;
  redeliver(options?: Partial<RedeliverOptions>): Promise<Outputs<RedeliverReport>>;
  /** Every secret, token and delivery header value the world knows: none may appear in any output. */
  secrets(): string[];
  /** Every output doctor and redeliver printed so far. */
  readonly printed: string[];
  close(): Promise<void>;
}

export interface WorldOptions {
  readonly relay?: boolean;
  readonly gitlabVersion?: string;
}

/** @pulumi/github's hooks, created on GitHub's stand-in through its REST API as the provider would. */
function githubResources() {
  const providers = new Map<string, Record<string, unknown>>();
  const created = new Map<string, number>();
  return async (args: pulumi.runtime.MockResourceArgs) => {
    if (args.type === "pulumi:providers:github") {
      providers.set(`${args.name}-id`, unsecret(args.inputs));
      return undefined;
    }
    const org = args.type === "github:index/organizationWebhook:OrganizationWebhook";
    if (!org && args.type !== "github:index/repositoryWebhook:RepositoryWebhook") return undefined;
    const inputs = unsecret(args.inputs) as {
      events: string[];
      active: boolean;
      repository?: string;
      configuration: { url: string; contentType: string; insecureSsl: boolean; secret: string };
    };
    const provider = providers.get(
      String(args.provider ?? "")
        .split("::")
        .pop() ?? "",
    );
    if (!provider) throw new Error(`no GitHub provider registered for ${args.name}`);
    const base = String(provider.baseUrl).replace(/\/+$/, "");
    const owner = String(provider.owner);
    const route = org ? `orgs/${owner}/hooks` : `repos/${owner}/${inputs.repository}/hooks`;
    const c = inputs.configuration;
    const body = {
      name: "web",
      active: inputs.active,
      events: inputs.events,
      config: {
        url: c.url,
        content_type: c.contentType,
        insecure_ssl: c.insecureSsl ? "1" : "0",
        secret: c.secret,
      },
    };
    const known = created.get(args.name);
    const res = await fetch(known ? `${base}/${route}/${known}` : `${base}/${route}`, {
      method: known ? "PATCH" : "POST",
      headers: { authorization: `Bearer ${provider.token}`, "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    if (!res.ok)
      throw new Error(`GitHub stand-in answered ${res.status} creating ${args.name}: ${await res.text()}`);
    const hook = (await res.json()) as { id: number; url: string };
    created.set(args.name, hook.id);
    return { id: String(hook.id), state: { ...args.inputs, url: hook.url, etag: `"${hook.id}"` } };
  };
}

export async function startWorld(options: WorldOptions = {}): Promise<World> {
  const sg = await startSourcegraphFake();
  const gh = await startGitHubFake({
    tokens: { [GH_TOKEN]: { orgs: "all", repos: "all" } },
    orgs: ["acme"],
    repos: ["acme/widgets"],
  });
  const gl = await startGitLabFake({
    tokens: { [GL_TOKEN]: "owner" },
    projects: ["grp/app"],
    groups: ["grp"],
    // GitLab allows 5 hook tests a minute per user and project; these tests run doctor more often.
    hookRateLimit: { limit: 1_000, windowMs: 60_000 },
    ...(options.gitlabVersion ? { version: options.gitlabVersion } : {}),
  });
  gl.addMergeRequest("grp/app", "Make it so");
  const bbs = await startBitbucketServerFake({ deliverTestEvents: true });
  const bbc = await startBitbucketCloudFake();
  for (const [kind, url] of [
    ["GITHUB", gh.url],
    ["GITLAB", gl.url],
    ["BITBUCKETSERVER", bbs.url],
    ["BITBUCKETCLOUD", "https://bitbucket.org"],
  ] as const) {
    sg.addCodeHostConnection({ kind, url });
  }
  const dir = mkdtempSync(path.join(tmpdir(), "sg-e2e-"));
  writeFileSync(path.join(dir, "Pulumi.yaml"), `name: ${PROJECT}\nruntime: nodejs\n`);

  let relay: Relay | undefined;
  let relayDir: string | undefined;
  if (options.relay) {
    relayDir = mkdtempSync(path.join(tmpdir(), "sg-e2e-relay-"));
    relay = await startRelay({
      listen: { host: "127.0.0.1", port: 0 },
      forwardTo: sg.url,
      receivers: { sourcegraph: { url: sg.url, accessToken: ADMIN_TOKEN, refreshMs: 3_600_000 } },
      allowUnsigned: false,
      dataDir: relayDir,
      retryBaseMs: 20,
      retryMaxDelayMs: 50,
      maxAgeMs: 400,
      logger: pino({ level: "silent" }),
    });
  }

  const declaration = (): SourcegraphWebhooksArgs => ({
    sourcegraph: { endpoint: sg.url, accessToken: ADMIN_TOKEN },
    github: [
      { name: "ghe", url: gh.url, token: GH_TOKEN, organizations: ["acme"], repositories: ["acme/widgets"] },
    ],
    gitlab: [{ name: "gl", url: gl.url, token: GL_TOKEN, projects: ["grp/app"], groups: ["grp"] }],
    bitbucketServer: [{ name: "bbs", url: bbs.url, token: BBS_TOKEN }],
    bitbucketCloud: [
      { apiUrl: bbc.apiUrl, token: BBC_TOKEN, workspaces: ["acme"], repositories: ["acme/widgets"] },
    ],
    ...(relay ? { relay: { publicUrl: relay.url } } : {}),
  });

  const host: ProviderHost = await startHost();
  const engine = new Deployment(host, PROJECT, STACK, githubResources());
  // GitHub pings each hook it creates; a relay knows the new receivers only once it reads them again.
  if (relay) gh.holdDeliveries();
  await engine.up(() => new SourcegraphWebhooks("sourcegraph", declaration()));
  await relay?.reload();
  gh.releaseDeliveries();
  await Promise.all([gh.settled(), bbs.settled(), gl.deliveriesSettled()]);

  const writeStack = (edit?: (args: SourcegraphWebhooksArgs) => void, stack = STACK): string => {
    const args = declaration();
    edit?.(args);
    const config = Object.fromEntries(
      Object.entries(args)
        .filter(([, v]) => v !== undefined)
        .map(([k, v]) => [`${PROJECT}:${k}`, v]),
    );
    const file = path.join(dir, `Pulumi.${stack}.yaml`);
    writeFileSync(file, stringify({ config }));
    return file;
  };
  const stackFile = writeStack();
  const printed: string[] = [];
  const base = { waitMs: 3_000, pollMs: 50 };

  return {
    sg,
    gh,
    gl,
    bbs,
    bbc,
    ...(relay ? { relay, relayDir } : {}),
    dir,
    stackFile,
    declaration,
    writeStack,
    printed,
    async doctor(more = {}) {
      const report = await runDoctor({
        config: stackFile,
        ...base,
        ...(relayDir ? { relayDataDir: relayDir } : {}),
        ...more,
      } as DoctorOptions);
      const out = { report, human: renderHuman(report), json: renderJson(report) };
      printed.push(out.human, out.json);
      return out;
    },
    async redeliver(more = {}) {
      const report = await runRedeliver({
        config: stackFile,
        ...(relayDir ? { relayDataDir: relayDir } : {}),
        ...more,
      } as RedeliverOptions);
      const out = { report, human: renderRedeliverHuman(report), json: renderRedeliverJson(report) };
      printed.push(out.human, out.json);
      return out;
    },
    secrets() {
      const out = new Set<string>([GH_TOKEN, GL_TOKEN, ADMIN_TOKEN, "bbs-admin-token", "bbc-access-token"]);
      for (const r of sg.receivers()) if (r.secret) out.add(r.secret);
      for (const h of gh.hooks()) if (h.secret) out.add(h.secret);
      // Signatures and tokens as they travelled, and the bodies' telltale values.
      for (const d of sg.deliveries) {
        for (const name of ["x-hub-signature-256", "x-hub-signature", "x-gitlab-token"]) {
          const v = d.headers[name];
          if (typeof v === "string" && v.length > 8) out.add(v);
        }
      }
      return [...out];
    },
    async close() {
      await host.close();
      await relay?.close();
      await Promise.all([sg.close(), gh.close(), gl.close(), bbs.close(), bbc.close()]);
      rmSync(dir, { recursive: true, force: true });
      if (relayDir) rmSync(relayDir, { recursive: true, force: true });
    },
  };
}

/**
 * An outage: `breakIt` breaks the path to Sourcegraph and returns how to mend it; meanwhile GitHub
 * sends 20 push events on acme/widgets (each to the repository's hook and the organization's). The
 * deliveries GitHub made are returned once the path is mended.
 */
export async function outage(
  w: World,
  breakIt: () => Promise<() => Promise<void>>,
): Promise<GitHubDeliveryRecord[]> {
  const mend = await breakIt();
  const sent: GitHubDeliveryRecord[] = [];
  try {
    for (let i = 0; i < 20; i++)
      sent.push(...(await w.gh.emit("acme/widgets", "push", { ref: `refs/heads/outage-${i}` })));
  } finally {
    await mend();
  }
  expect(new Set(sent.map((d) => d.guid)).size).toBe(20);
  expect(sent).toHaveLength(40);
  return sent;
}

/** Sourcegraph's webhook logs hold each delivery (its event's guid, to its hook) exactly once, accepted. */
export function expectLoggedOnce(w: World, sent: readonly GitHubDeliveryRecord[]): void {
  const value = (headers: Array<{ name: string; values: string[] }>, name: string) =>
    headers.find((h) => h.name.toLowerCase() === name)?.values[0];
  const logs = w.sg.webhookLogs();
  for (const d of sent) {
    const mine = logs.filter(
      (l) =>
        value(l.request.headers, "x-github-delivery") === d.guid &&
        value(l.request.headers, "x-github-hook-id") === String(d.hookId),
    );
    expect(
      mine.map((l) => l.statusCode),
      `${d.guid} to hook ${d.hookId}`,
    ).toEqual([200]);
  }
}

/** The checks of one code host connection (`github/ghe`), by check name and code. */
export function codesOf(
  report: Report,
): Array<{ connection: string; check: string; status: string; code: string }> {
  return report.checks.map((c) => ({
    connection: c.connection,
    check: c.check,
    status: c.status,
    code: c.code,
  }));
}
