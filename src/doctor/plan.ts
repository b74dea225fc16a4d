// What to check, per connection: its receiver, where its hooks deliver, and each hook with its
// declared events. From a declaration the names follow the component's own rules (the root program
// names its component `sourcegraph`); from the stack outputs they are read as deployed.
import { DEFAULT_API_URL as BITBUCKET_CLOUD_API } from "../../providers/bitbucket-cloud/types";
import { githubApiUrl } from "../../providers/github";
import { type Connection, resolveDeclaration } from "../components/connections";
import { describeHooks } from "../components/hook-summaries";
import { relayHookUrl, trimSlashes } from "../components/validation";
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

/** The plain credentials a resolved connection was declared with (never a `secure:` one: dropped on reading). */
function declaredCredentials(c: Connection): Record<string, string> | undefined {
  switch (c.host) {
    case "github":
    case "gitlab":
      return credentials({ token: c.token });
    case "bitbucketServer":
      return credentials({ token: c.token, username: c.username, password: c.password });
    case "bitbucketCloud":
      return credentials({ token: c.token, email: c.email, apiToken: c.apiToken });
  }
}

/**
 * The plan of a stack file, as the root program would deploy it: the component's own resolution of
 * the declaration and its own description of each hook (the entries of its `hooks` output), so
 * that names, targets, events and API bases are the ones it deploys.
 */
export function planFromStackFile(file: StackFile, env: NodeJS.ProcessEnv = process.env): Plan {
  const { project, stack, declaration: args } = file;
  const resolved = resolveDeclaration(args, env);
  const connections = resolved.connections.map((c): PlannedConnection => {
    const base = `${ROOT_COMPONENT}-${c.host}-${c.key}`;
    const hooks = describeHooks(c).map(
      (h): PlannedHook => ({
        kind: h.kind,
        target: h.target,
        apiUrl: apiBase(h.codeHost, h.apiUrl),
        events: h.events,
        ...(h.enableSslVerification !== undefined ? { sslVerification: h.enableSslVerification } : {}),
        // BitbucketServerWebhook's default webhookName, <project>-<stack>-<resource name>: the plugin's upsert key.
        ...(c.host === "bitbucketServer" ? { expectedName: `${project}-${stack}-${base}-${h.name}` } : {}),
      }),
    );
    return {
      id: c.connection,
      codeHost: c.host,
      codeHostKind: c.kind,
      codeHostUrn: c.url,
      // SourcegraphReceiver's default webhookName: <project>-<stack>-<resource name>.
      receiverName: c.receiverName ?? `${project}-${stack}-${base}`,
      ...(resolved.relayUrl ? { relayUrl: resolved.relayUrl } : {}),
      hooks,
      ...(declaredCredentials(c) ? { declaredCredentials: declaredCredentials(c) } : {}),
    };
  });
  return {
    source: "config",
    sourcegraphEndpoint: plain(args.sourcegraph?.endpoint) ?? plain(env.SRC_ENDPOINT),
    sourcegraphToken: plain(args.sourcegraph?.accessToken),
    connections,
  };
}

/** GitLab's calls take the instance URL (gitbeaker adds /api/v4); the other hosts' the API base as is. */
function apiBase(host: CodeHost, apiUrl: string): string {
  const trimmed = trimSlashes(apiUrl);
  return host === "gitlab" ? trimmed.replace(/\/api\/v4$/, "") : trimmed;
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
        apiUrl: h.apiUrl ? apiBase(codeHost, h.apiUrl) : defaultApiUrl(codeHost, r.codeHostUrn),
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
