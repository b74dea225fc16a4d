// What to check, per connection: its receiver, where its hooks deliver, and each hook with its
// declared events. From a declaration the names follow the component's own rules (the root program
// names its component `sourcegraph`); from the stack outputs they are read as deployed.
import { DEFAULT_API_URL as BITBUCKET_CLOUD_API } from "../../providers/bitbucket-cloud/types";
import { githubApiUrl } from "../../providers/github";
import { connectionKeys } from "../components/sourcegraph-webhooks";
import { relayHookUrl, selectEvents, splitRepository, trimSlashes } from "../components/validation";
import type { StackOutputs } from "./inputs/outputs-file";
import type { StackFile } from "./inputs/stack-file";
import { UsageError } from "./inputs/usage-error";
import { CODE_HOST_KIND, type CodeHost, type Plan, type PlannedConnection, type PlannedHook } from "./types";

/** The root program's component name: the prefix of every child resource name. */
export const ROOT_COMPONENT = "sourcegraph";

/** `organization acme`, `project group/app`, `plugin global`: a hook's target in messages and checks. */
export function hookLabel(hook: Pick<PlannedHook, "kind" | "target">): string {
  return `${hook.kind} ${hook.target}`;
}

/** The relay's base URL from a delivery URL `<relay>/.api/webhooks/<uuid>`. */
export function relayBase(deliveryUrl: string): string {
  const at = deliveryUrl.indexOf("/.api/webhooks/");
  return at < 0 ? trimSlashes(deliveryUrl) : deliveryUrl.slice(0, at);
}

/** Where a connection's hooks deliver, once its receiver's URL and UUID are known. */
export function deliveryUrlFor(
  connection: PlannedConnection,
  receiver: { uuid: string; url: string },
): string {
  if (connection.deliveryUrl) return connection.deliveryUrl;
  return connection.relayUrl ? relayHookUrl(connection.relayUrl, receiver.uuid) : receiver.url;
}

const plain = (v: unknown): string | undefined => (typeof v === "string" && v !== "" ? v : undefined);

function credentials(values: Record<string, unknown>): Record<string, string> | undefined {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(values)) if (plain(v)) out[k] = v as string;
  return Object.keys(out).length > 0 ? out : undefined;
}

/** The plan of a stack file, as the root program would deploy it. */
export function planFromStackFile(file: StackFile, env: NodeJS.ProcessEnv = process.env): Plan {
  const { project, stack, declaration: args } = file;
  const keys = connectionKeys(args);
  const relayUrl = args.relay ? trimSlashes(args.relay.publicUrl) : undefined;
  const connections: PlannedConnection[] = [];
  const receiverName = (host: CodeHost, key: string, given: string | undefined) =>
    given ?? `${project}-${stack}-${ROOT_COMPONENT}-${host}-${key}`;
  const base = (host: CodeHost, key: string, urn: string, given: string | undefined) => ({
    id: `${host}/${key}`,
    codeHost: host,
    codeHostKind: CODE_HOST_KIND[host],
    codeHostUrn: urn,
    receiverName: receiverName(host, key, given),
    ...(relayUrl ? { relayUrl } : {}),
  });

  (args.github ?? []).forEach((c, i) => {
    const key = keys.github[i]!;
    const urn = trimSlashes(c.url ?? "https://github.com");
    const events = selectEvents("github", c, `github[${i}]`);
    const apiUrl = githubApiUrl(urn);
    const hooks: PlannedHook[] = [
      ...(c.organizations ?? []).map((org) => ({
        kind: "organization" as const,
        target: org,
        apiUrl,
        events,
      })),
      ...(c.repositories ?? []).map((repo) => {
        const { owner, name } = splitRepository(repo, `github[${i}].repositories`);
        return { kind: "repository" as const, target: `${owner}/${name}`, apiUrl, events };
      }),
    ];
    connections.push({
      ...base("github", key, urn, c.receiverName),
      hooks,
      declaredCredentials: credentials({ token: c.token }),
    });
  });

  (args.gitlab ?? []).forEach((c, i) => {
    const key = keys.gitlab[i]!;
    const urn = trimSlashes(c.url ?? env.GITLAB_URL ?? "https://gitlab.com");
    const events = selectEvents("gitlab", c, `gitlab[${i}]`);
    const common = { apiUrl: urn, events, sslVerification: c.enableSslVerification ?? true };
    const hooks: PlannedHook[] = [
      ...(c.projects ?? []).map((p) => ({ kind: "project" as const, target: String(p), ...common })),
      ...(c.groups ?? []).map((g) => ({ kind: "group" as const, target: String(g), ...common })),
    ];
    connections.push({
      ...base("gitlab", key, urn, c.receiverName),
      hooks,
      declaredCredentials: credentials({ token: c.token }),
    });
  });

  (args.bitbucketServer ?? []).forEach((c, i) => {
    const key = keys.bitbucketServer[i]!;
    // validateDeclaration has made sure one of the two is set.
    const urn = trimSlashes((c.url ?? env.BITBUCKET_SERVER_URL)!);
    const events = selectEvents("bitbucketServer", c, `bitbucketServer[${i}]`);
    const hooks: PlannedHook[] = (c.scopes ?? ["global"]).map((scope) => ({
      kind: "plugin" as const,
      target: scope,
      apiUrl: urn,
      events,
      // BitbucketServerWebhook's default webhookName: <project>-<stack>-<resource name>.
      expectedName: `${project}-${stack}-${ROOT_COMPONENT}-bitbucketServer-${key}-${scope.replace(/[:/]/g, "-")}`,
    }));
    connections.push({
      ...base("bitbucketServer", key, urn, c.receiverName),
      hooks,
      declaredCredentials: credentials({ token: c.token, username: c.username, password: c.password }),
    });
  });

  (args.bitbucketCloud ?? []).forEach((c, i) => {
    const key = keys.bitbucketCloud[i]!;
    const urn = trimSlashes(c.url ?? "https://bitbucket.org");
    const events = selectEvents("bitbucketCloud", c, `bitbucketCloud[${i}]`);
    const apiUrl = trimSlashes(c.apiUrl ?? BITBUCKET_CLOUD_API);
    const hooks: PlannedHook[] = [
      ...(c.workspaces ?? []).map((w) => ({ kind: "workspace" as const, target: w, apiUrl, events })),
      ...(c.repositories ?? []).map((r) => {
        const { owner, name } = splitRepository(r, `bitbucketCloud[${i}].repositories`);
        return { kind: "repository" as const, target: `${owner}/${name}`, apiUrl, events };
      }),
    ];
    connections.push({
      ...base("bitbucketCloud", key, urn, c.receiverName),
      hooks,
      declaredCredentials: credentials({ token: c.token, email: c.email, apiToken: c.apiToken }),
    });
  });

  return {
    source: "config",
    sourcegraphEndpoint: plain(args.sourcegraph?.endpoint) ?? plain(env.SRC_ENDPOINT),
    sourcegraphToken: plain(args.sourcegraph?.accessToken),
    connections,
  };
}

/** A hook's API base when the outputs do not give it: derived from the code host URL. */
function defaultApiUrl(host: CodeHost, urn: string): string {
  switch (host) {
    case "github":
      return githubApiUrl(trimSlashes(urn));
    case "bitbucketCloud":
      return BITBUCKET_CLOUD_API;
    default:
      return trimSlashes(urn);
  }
}

/** The plan of a deployed stack, from `pulumi stack output --json`. */
export function planFromOutputs(outputs: StackOutputs, env: NodeJS.ProcessEnv = process.env): Plan {
  const connections: PlannedConnection[] = outputs.receivers.map((r) => {
    const host = r.connection.split("/")[0] as CodeHost;
    const codeHost: CodeHost = host in CODE_HOST_KIND ? host : hostOfKind(r.codeHostKind);
    const hooks: PlannedHook[] = (outputs.hooks ?? [])
      .filter((h) => h.connection === r.connection)
      .map((h) => ({
        kind: h.kind,
        target: h.target,
        id: h.id,
        apiUrl: h.apiUrl
          ? trimSlashes(h.apiUrl).replace(/\/api\/v4$/, "")
          : defaultApiUrl(codeHost, r.codeHostUrn),
        ...(h.events ? { events: h.events } : {}),
        ...(h.enableSslVerification !== undefined ? { sslVerification: h.enableSslVerification } : {}),
      }));
    const relayed = trimSlashes(r.deliveryUrl) !== trimSlashes(r.url);
    return {
      id: r.connection,
      codeHost,
      codeHostKind: r.codeHostKind,
      codeHostUrn: r.codeHostUrn,
      receiverUuid: r.uuid,
      deliveryUrl: r.deliveryUrl,
      ...(relayed ? { relayUrl: relayBase(r.deliveryUrl) } : {}),
      hooks,
    };
  });
  const first = outputs.receivers[0];
  return {
    source: "outputs",
    sourcegraphEndpoint: plain(env.SRC_ENDPOINT) ?? (first ? new URL(first.url).origin : undefined),
    connections,
  };
}

function hostOfKind(kind: string): CodeHost {
  const found = (Object.keys(CODE_HOST_KIND) as CodeHost[]).find((h) => CODE_HOST_KIND[h] === kind);
  return found ?? "github";
}

/** The plan narrowed to `--connection <codeHost>/<name>`; throws UsageError listing the valid ones. */
export function selectConnection(plan: Plan, connection: string | undefined): Plan {
  if (connection === undefined) return plan;
  const chosen = plan.connections.filter((c) => c.id === connection);
  if (chosen.length === 0) {
    const valid = plan.connections.map((c) => c.id).join(", ") || "(none)";
    throw new UsageError(`--connection ${connection}: no such connection; valid: ${valid}`);
  }
  return { ...plan, connections: chosen };
}
