// `sg-webhooks sandbox`: the stand-ins the tests use (Sourcegraph, GitLab, the Bitbucket Server
// plugin, Bitbucket Cloud) on loopback, and a `Pulumi.sandbox.yaml` pointing the root program at them, so
// `pulumi up -s sandbox` can be tried without touching a real system. GitHub's stand-in runs too, for
// doctor and redeliver, but the stack file declares no GitHub connection: its hooks go through
// @pulumi/github's own provider, which only talks to GitHub. Sourcegraph's stand-in has a code host
// connection for each code host, as a real instance would.
import { writeFileSync } from "node:fs";
import * as path from "node:path";
import type { Command } from "commander";
import type { Delivery } from "../../stand-ins/sourcegraph";

export interface SandboxOptions {
  /** Where `Pulumi.<stack>.yaml` is written: the directory of the root program's Pulumi.yaml. */
  dir: string;
  stack: string;
  /** The config namespace: the `name` in Pulumi.yaml. */
  project: string;
  /** Where lines go (stdout). */
  out: (line: string) => void;
}

/** Credentials the sandbox's fakes accept. */
export const SANDBOX_CREDENTIALS = {
  sourcegraphToken: "fake-sg-admin-0123456789abcdef0123456789abcdef",
  gitlabToken: "glpat-sandbox-owner",
  bitbucketServerToken: "bbs-admin-token",
  bitbucketCloudToken: "bbc-access-token",
  githubToken: "fake-gh-admin-0123456789abcdef0123456789ab",
} as const;

export interface Sandbox {
  readonly endpoints: {
    sourcegraph: string;
    gitlab: string;
    bitbucketServer: string;
    bitbucketCloudApi: string;
    /** GitHub Enterprise Server's URL (a GitHub connection's `url`); its API is under /api/v3. */
    github: string;
  };
  readonly configFile: string;
  stop(): Promise<void>;
}

/** The stack config that points the root program at the fakes. */
export function sandboxStackConfig(
  project: string,
  e: { sourcegraph: string; gitlab: string; bitbucketServer: string; bitbucketCloudApi: string },
): string {
  const c = SANDBOX_CREDENTIALS;
  return [
    "# Written by `sg-webhooks sandbox`: the root program against local fakes. The tokens are the",
    "# fakes' own and worthless anywhere else. GitHub is not part of the sandbox.",
    "config:",
    `  ${project}:sourcegraph:`,
    `    endpoint: ${e.sourcegraph}`,
    `    accessToken: ${c.sourcegraphToken}`,
    `  ${project}:gitlab:`,
    `    - url: ${e.gitlab}`,
    `      token: ${c.gitlabToken}`,
    "      projects:",
    "        - sandbox/app",
    "      groups:",
    "        - sandbox",
    `  ${project}:bitbucketServer:`,
    `    - url: ${e.bitbucketServer}`,
    `      token: ${c.bitbucketServerToken}`,
    `  ${project}:bitbucketCloud:`,
    `    - apiUrl: ${e.bitbucketCloudApi}`,
    `      token: ${c.bitbucketCloudToken}`,
    "      workspaces:",
    "        - acme",
    "      repositories:",
    "        - acme/widgets",
    "",
  ].join("\n");
}

/** One line for a delivery Sourcegraph's stand-in received: its answer, and why. */
export function deliveryLine(d: Delivery): string {
  if (d.receiverName === undefined) return `delivery ${d.uuid}: no such receiver (answered ${d.status})`;
  const who = `delivery ${d.codeHostKind} ${d.receiverName}`;
  if (d.event !== undefined) {
    const why = d.secretChecked ? "signature valid" : "the receiver has no secret: nothing checked";
    return `${who}: ${d.event}: accepted ${d.status} (${why})`;
  }
  // GitLab's kinds that Sourcegraph does not handle get a 204, so that GitLab does not retry them.
  if (d.status === 204) return `${who}: ignored ${d.status}: ${d.message}`;
  return `${who}: refused ${d.status}: ${d.message}`;
}

/** Starts the fakes, writes the stack file and reports each delivery Sourcegraph's fake receives. */
export async function startSandbox(opts: SandboxOptions): Promise<Sandbox> {
  // Required here rather than imported at the top, so that the other commands do not load graphql
  // and the stand-ins.
  const sgMod: typeof import("../../stand-ins/sourcegraph") = require("../../stand-ins/sourcegraph");
  const glMod: typeof import("../../stand-ins/gitlab") = require("../../stand-ins/gitlab");
  const bbsMod: typeof import("../../stand-ins/bitbucket-server") = require("../../stand-ins/bitbucket-server");
  const bbcMod: typeof import("../../stand-ins/bitbucket-cloud") = require("../../stand-ins/bitbucket-cloud");
  const ghMod: typeof import("../../stand-ins/github") = require("../../stand-ins/github");

  const sourcegraph = await sgMod.startSourcegraphFake();
  const gitlab = await glMod.startGitLabFake({
    tokens: { [SANDBOX_CREDENTIALS.gitlabToken]: "owner" },
    projects: ["sandbox/app"],
    groups: ["sandbox"],
    deliverTestEvents: true,
  });
  const bitbucketServer = await bbsMod.startBitbucketServerFake({
    tokens: { [SANDBOX_CREDENTIALS.bitbucketServerToken]: "admin" },
    deliverTestEvents: true,
  });
  const bitbucketCloud = await bbcMod.startBitbucketCloudFake({
    tokens: [SANDBOX_CREDENTIALS.bitbucketCloudToken],
    deliverTestEvents: true,
  });

  const github = await ghMod.startGitHubFake({
    tokens: { [SANDBOX_CREDENTIALS.githubToken]: { orgs: "all", repos: "all" } },
    orgs: ["acme"],
    repos: ["acme/widgets"],
  });

  const endpoints = {
    sourcegraph: sourcegraph.url,
    gitlab: gitlab.url,
    bitbucketServer: bitbucketServer.url,
    bitbucketCloudApi: bitbucketCloud.apiUrl,
    github: github.url,
  };
  for (const [kind, url] of [
    ["GITLAB", gitlab.url],
    ["BITBUCKETSERVER", bitbucketServer.url],
    ["BITBUCKETCLOUD", "https://bitbucket.org"],
    ["GITHUB", github.url],
  ] as const) {
    sourcegraph.addCodeHostConnection({ kind, url, displayName: `Sandbox ${kind}` });
  }
  const configFile = path.join(opts.dir, `Pulumi.${opts.stack}.yaml`);
  writeFileSync(configFile, sandboxStackConfig(opts.project, endpoints));

  const c = SANDBOX_CREDENTIALS;
  opts.out(`sourcegraph:      ${endpoints.sourcegraph}  (access token ${c.sourcegraphToken})`);
  opts.out(
    `gitlab:           ${endpoints.gitlab}  (token ${c.gitlabToken}; project sandbox/app, group sandbox)`,
  );
  opts.out(
    `bitbucket-server: ${endpoints.bitbucketServer}  (token ${c.bitbucketServerToken}, a system admin)`,
  );
  opts.out(
    `bitbucket-cloud:  ${endpoints.bitbucketCloudApi}  (token ${c.bitbucketCloudToken}; workspace acme)`,
  );
  opts.out(
    `github:           ${endpoints.github}  (token ${c.githubToken}; organization acme, repository acme/widgets; for doctor and redeliver)`,
  );
  opts.out(`stack config:     ${configFile}`);
  opts.out(`next:             pulumi up -s ${opts.stack}   (GitHub is not part of the sandbox)`);
  opts.out("deliveries Sourcegraph's fake receives are listed below; Ctrl-C stops the sandbox");

  // Each line is what Sourcegraph's stand-in answered the code host, which it decided as Sourcegraph
  // does, with the receiver's secret at the time of the delivery.
  let seen = 0;
  const report = (): void => {
    while (seen < sourcegraph.deliveries.length) opts.out(deliveryLine(sourcegraph.deliveries[seen++]!));
  };
  const timer = setInterval(report, 200);

  return {
    endpoints,
    configFile,
    async stop() {
      clearInterval(timer);
      report();
      await Promise.all([
        sourcegraph.close(),
        gitlab.close(),
        bitbucketServer.close(),
        bitbucketCloud.close(),
        github.close(),
      ]);
    },
  };
}

export function registerSandbox(program: Command): void {
  program
    .command("sandbox")
    .description(
      "Start local fakes of Sourcegraph, GitLab, the Bitbucket Server plugin and Bitbucket Cloud, and write Pulumi.sandbox.yaml pointing the root program at them",
    )
    .option("--dir <dir>", "where to write the stack config (the directory of Pulumi.yaml)", ".")
    .option("--stack <name>", "the stack name", "sandbox")
    .option(
      "--project <name>",
      "the project name in Pulumi.yaml (the config namespace)",
      "sourcegraph-webhooks",
    )
    .action(async (o: { dir: string; stack: string; project: string }) => {
      const sandbox = await startSandbox({
        dir: path.resolve(o.dir),
        stack: o.stack,
        project: o.project,
        out: (line) => process.stdout.write(`${line}\n`),
      });
      await new Promise<void>((resolve) => {
        const stop = () => resolve();
        process.once("SIGINT", stop);
        process.once("SIGTERM", stop);
      });
      await sandbox.stop();
      process.stdout.write("sandbox stopped\n");
    });
}
