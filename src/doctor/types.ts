// The words doctor and redeliver speak: what is checked, the findings, and the plan of what to
// check per connection. The JSON shape of `Check` and `Report` is the public contract of
// `sg-webhooks doctor --json`.
import type { CodeHostKind } from "../../providers/sourcegraph";

/** The four code hosts, as connections are named in `receivers` (`gitlab/gitlab.example.com`). */
export type CodeHost = "github" | "gitlab" | "bitbucketServer" | "bitbucketCloud";

export const CODE_HOST_KIND: Record<CodeHost, CodeHostKind> = {
  github: "GITHUB",
  gitlab: "GITLAB",
  bitbucketServer: "BITBUCKETSERVER",
  bitbucketCloud: "BITBUCKETCLOUD",
};

/** Where a hook lives, as the component's `hooks` output spells it. */
export type HookKind = "organization" | "repository" | "project" | "group" | "plugin" | "workspace";

export type CheckName =
  | "receiver"
  | "connection"
  | "hook"
  | "events"
  | "tls"
  | "content_type"
  | "active"
  | "probe"
  | "history"
  | "relay";

export type Status = "ok" | "warn" | "fail" | "skip";

/** One check as `doctor --json` prints it. */
export interface Check {
  /** `<codeHost>/<name>`, as in the `receivers` output. */
  readonly connection: string;
  /** What was checked: `receiver <name>`, `project group/app`, `relay https://relay.example.com`, … */
  readonly target: string;
  readonly check: CheckName;
  readonly status: Status;
  /** `ok` for a passing check, `skipped` for one not made, else the finding's code. */
  readonly code: string;
  readonly message: string;
  /** What to do; empty for a passing check. */
  readonly fix: string;
}

/** `ok` is true exactly when no check fails. */
export interface Report {
  readonly ok: boolean;
  readonly checks: Check[];
}

/** One hook to check, from the declaration or from the stack's `hooks` output. */
export interface PlannedHook {
  readonly kind: HookKind;
  /** The org, `owner/name`, project or group path or ID, plugin scope, or workspace (`workspace/slug` for a repository). */
  readonly target: string;
  /** The code host's hook ID (the plugin's hook name), when the outputs give it. */
  readonly id?: string;
  /** Bitbucket Server: the plugin hook's name as the declaration defaults it (its upsert key). */
  readonly expectedName?: string;
  /** The code host's API base (GitLab: the instance URL; Bitbucket Server: the instance URL). */
  readonly apiUrl: string;
  /** Declared events; unknown when only the outputs were read and they do not list them. */
  readonly events?: readonly string[];
  /** GitLab: whether TLS verification was declared on; unknown from outputs that do not say. */
  readonly sslVerification?: boolean;
}

/** One connection to check: its receiver and its hooks. */
export interface PlannedConnection {
  /** `<codeHost>/<name>`. */
  readonly id: string;
  readonly codeHost: CodeHost;
  readonly codeHostKind: CodeHostKind;
  /** The code host URL, as declared (compare normalized). */
  readonly codeHostUrn: string;
  /** The receiver's name in Sourcegraph, as declared or defaulted (from a declaration). */
  readonly receiverName?: string;
  /** The receiver's UUID (from the outputs). */
  readonly receiverUuid?: string;
  /**
   * Where the hooks deliver: the receiver URL, or the relay's URL for it. From a declaration it is
   * known once the receiver is found; `relayUrl` then gives the relay's base.
   */
  readonly deliveryUrl?: string;
  /** The relay's public URL when deliveries go through one. */
  readonly relayUrl?: string;
  readonly hooks: readonly PlannedHook[];
  /** Where the credentials for this connection's code host are: plain values from the stack file, if any. */
  readonly declaredCredentials?: Readonly<Record<string, string>>;
}

/** Everything doctor will look at. */
export interface Plan {
  /** The Sourcegraph instance, when the declaration or the environment names one. */
  readonly sourcegraphEndpoint?: string;
  /** A plain access token from the stack file (never a `secure:` one). */
  readonly sourcegraphToken?: string;
  readonly connections: readonly PlannedConnection[];
  /** Where the plan came from, for messages: `Pulumi.prod.yaml` or `stack outputs`. */
  readonly source: "config" | "outputs";
}
