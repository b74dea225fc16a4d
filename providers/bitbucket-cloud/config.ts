// The shapes the Bitbucket Cloud webhook provider reads and writes, and where credentials come from.
import { env } from "../shared";

export const DEFAULT_API_URL = "https://api.bitbucket.org/2.0";
export const SERVICE = "Bitbucket Cloud";
export const SCHEMA_VERSION = 1;

export const ENV = {
  token: "BITBUCKET_CLOUD_TOKEN",
  email: "BITBUCKET_CLOUD_EMAIL",
  apiToken: "BITBUCKET_CLOUD_API_TOKEN",
} as const;

/** The connection input. `token` (an access token) or `email` + `apiToken` (an Atlassian API token). */
export interface Connection {
  apiUrl?: string;
  token?: string;
  email?: string;
  apiToken?: string;
}

/** Inputs after check: `apiUrl` resolved, events normalized, description defaulted. */
export interface Inputs {
  bitbucketCloud?: Connection;
  apiUrl: string;
  workspace: string;
  repository?: string;
  url: string;
  events: string[];
  description: string;
  secret?: string;
}

/** What the state holds; read, update and delete need nothing else. */
export interface Outputs {
  schemaVersion: number;
  /** The hook's UUID with braces, e.g. `{4f1c…}`; also the Pulumi ID. */
  uuid: string;
  apiUrl: string;
  workspace: string;
  repository?: string;
  url: string;
  events: string[];
  description: string;
  active: boolean;
  /** Whether Bitbucket reports a secret on the hook. */
  secretSet: boolean;
  /** The declared secret (a secret output); dropped by read when Bitbucket has lost it. */
  secret?: string;
  /** Credentials given as inputs (a secret output), so that delete works after the program changes. */
  bitbucketCloud?: Connection;
}

export type Credential =
  | { readonly kind: "token"; readonly token: string }
  | { readonly kind: "basic"; readonly email: string; readonly apiToken: string };

/** The credential given as input, if any. */
export function credentialFromConnection(c: Connection | undefined): Credential | undefined {
  if (c?.token) return { kind: "token", token: c.token };
  if (c?.email && c.apiToken) return { kind: "basic", email: c.email, apiToken: c.apiToken };
  return undefined;
}

/** The credential in the environment, read at call time: an access token wins over an API token. */
export function credentialFromEnv(): Credential | undefined {
  const token = env(ENV.token);
  if (token) return { kind: "token", token };
  const email = env(ENV.email);
  const apiToken = env(ENV.apiToken);
  if (email && apiToken) return { kind: "basic", email, apiToken };
  return undefined;
}

export function sameCredential(a: Credential, b: Credential): boolean {
  if (a.kind === "token" && b.kind === "token") return a.token === b.token;
  if (a.kind === "basic" && b.kind === "basic") return a.email === b.email && a.apiToken === b.apiToken;
  return false;
}

/** Values that must never appear in an error or log line. */
export function secretsOf(...values: ReadonlyArray<Connection | Credential | string | undefined>): string[] {
  const out: string[] = [];
  for (const v of values) {
    if (typeof v === "string") out.push(v);
    else if (v && "kind" in v) out.push(v.kind === "token" ? v.token : v.apiToken);
    else if (v) for (const s of [v.token, v.apiToken]) if (s) out.push(s);
  }
  for (const name of [ENV.token, ENV.apiToken]) {
    const s = env(name);
    if (s) out.push(s);
  }
  return out.filter((s) => s.length > 0);
}

/**
 * `HTTPS://API.bitbucket.org/2.0/` and `https://api.bitbucket.org/2.0` are the same API: scheme
 * and host lower-cased (as URL parsing does), no trailing slash. The API URL is a replacement key,
 * so a mere change of spelling must not show as another instance.
 */
export function normalizeApiUrl(u: string): string {
  const raw = u.trim();
  try {
    const parsed = new URL(raw);
    return `${parsed.protocol}//${parsed.host}${parsed.pathname.replace(/\/+$/, "")}`;
  } catch {
    return raw.replace(/\/+$/, "");
  }
}

export const CREDENTIALS_HINT = `set ${ENV.token} (an access token), or ${ENV.email} and ${ENV.apiToken} (an Atlassian API token with your account e-mail), or give bitbucketCloud.token, or bitbucketCloud.email with bitbucketCloud.apiToken`;
