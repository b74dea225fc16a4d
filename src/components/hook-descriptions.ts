// What the component's `hooks` output says of each hook before anything is deployed: its code host,
// kind, target, API base and events, and the end of its resource name. Pure (no @pulumi/pulumi), so
// that tools reading a declaration offline (`sg-webhooks diff`, doctor's plan) describe hooks exactly
// as the output will.
import { DEFAULT_API_URL as BITBUCKET_CLOUD_API_URL } from "../../providers/bitbucket-cloud/types";
import type { CodeHost } from "../../providers/events";
import { GITHUB_COM_API } from "../../providers/github/types";
import type { Connection } from "./connections";
import { trimSlashes } from "./validation";

/** Where a hook lives. */
export type HookKind = "organization" | "repository" | "project" | "group" | "plugin" | "workspace";

/** One hook of the component, as it appears in `hooks`. */
export interface HookSummary {
  /** `<code host>/<connection name>`, as in `receivers`. */
  connection: string;
  codeHost: CodeHost;
  kind: HookKind;
  /** The org, `owner/name`, project or group path or ID, plugin scope, or workspace (`workspace/slug` for a repository). */
  target: string;
  /** The code host's hook ID; for Bitbucket Server the plugin's webhook name. */
  id: string;
  receiverUuid: string;
  /** Where the hook delivers: the receiver URL, or the relay's URL for it. */
  deliveryUrl: string;
  /** The code host's API base: `https://api.github.com` or `<url>/api/v3`, `<instance>/api/v4`, the Bitbucket Server URL, or Bitbucket Cloud's API base. */
  apiUrl: string;
  /** The events the hook is declared with. */
  events: string[];
  /** GitLab only: whether GitLab verifies the receiver's TLS certificate, as declared. */
  enableSslVerification?: boolean;
}

/** What a hook's entry says before its resource exists; `name` ends its resource name. */
export type HookDescription = Omit<HookSummary, "id" | "receiverUuid" | "deliveryUrl"> & {
  readonly name: string;
};

/** GitHub's REST API base for a GitHub URL: github.com's API, else GitHub Enterprise Server's `<url>/api/v3`. */
export function githubApiUrl(url: string): string {
  const host = new URL(url).host;
  return host === "github.com" || host === "www.github.com" ? GITHUB_COM_API : `${trimSlashes(url)}/api/v3`;
}

/** The REST API base of a connection's code host; never holds credentials (declared URLs cannot). */
export function hookApiUrl(connection: Connection): string {
  switch (connection.host) {
    case "github":
      return githubApiUrl(connection.url);
    case "gitlab":
      return `${connection.url}/api/v4`;
    case "bitbucketServer":
      return connection.url;
    case "bitbucketCloud":
      return trimSlashes(connection.apiUrl ?? BITBUCKET_CLOUD_API_URL);
  }
}

/** Each hook of a connection with everything its entry says but what the deployment decides. */
export function describeHooks(connection: Connection): HookDescription[] {
  const common = {
    connection: connection.connection,
    codeHost: connection.host,
    apiUrl: hookApiUrl(connection),
    events: [...connection.events],
  };
  switch (connection.host) {
    case "github":
      return connection.hooks.map((h) => ({
        ...common,
        name: h.name,
        kind: h.kind,
        target: h.kind === "organization" ? h.owner : `${h.owner}/${h.repository}`,
      }));
    case "gitlab":
      return connection.hooks.map((h) => ({
        ...common,
        name: h.name,
        kind: h.kind,
        target: String(h.target),
        enableSslVerification: connection.enableSslVerification ?? true,
      }));
    case "bitbucketServer":
      return connection.hooks.map((h) => ({ ...common, name: h.name, kind: h.kind, target: h.scope }));
    case "bitbucketCloud":
      return connection.hooks.map((h) => ({
        ...common,
        name: h.name,
        kind: h.kind,
        target: h.kind === "workspace" ? h.workspace : `${h.workspace}/${h.repository}`,
      }));
  }
}
