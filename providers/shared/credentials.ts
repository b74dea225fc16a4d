// Where credentials come from and how they are tried. Credentials are read at call time, never
// captured, and never shown: messages name only where one came from (`source`).

/** Reads an environment variable at call time; empty counts as unset. */
export function env(name: string): string | undefined {
  const v = process.env[name];
  return v === undefined || v === "" ? undefined : v;
}

export interface TokenCredential {
  readonly kind: "token";
  readonly token: string;
  /** The setting it came from, such as "gitlab.token" or "GITLAB_TOKEN". */
  readonly source: string;
}

export interface BasicCredential {
  readonly kind: "basic";
  readonly username: string;
  readonly password: string;
  readonly source: string;
}

/** A token, or a username and password (Bitbucket's HTTP Basic with an app password or API token). */
export type Credential = TokenCredential | BasicCredential;

/**
 * The credential a set of settings gives, if any: a token wins over a username and password,
 * which count only together. `sources` names the settings for messages.
 */
export function tokenOrBasic(
  values: { token?: string; username?: string; password?: string },
  sources: { token: string; basic: string },
): Credential | undefined {
  if (values.token) return { kind: "token", token: values.token, source: sources.token };
  if (values.username && values.password) {
    return { kind: "basic", username: values.username, password: values.password, source: sources.basic };
  }
  return undefined;
}

export function sameCredential(a: Credential, b: Credential): boolean {
  if (a.kind === "token" && b.kind === "token") return a.token === b.token;
  if (a.kind === "basic" && b.kind === "basic") return a.username === b.username && a.password === b.password;
  return false;
}

function basic(c: BasicCredential): string {
  return Buffer.from(`${c.username}:${c.password}`, "utf8").toString("base64");
}

/** The Authorization header value. */
export function authorization(c: Credential): string {
  return c.kind === "token" ? `Bearer ${c.token}` : `Basic ${basic(c)}`;
}

/**
 * Values to strip from any message. A proxy that echoes the request shows the Basic header, which
 * spells the password in base64.
 */
export function credentialSecrets(c: Credential | undefined): string[] {
  if (!c) return [];
  return c.kind === "token" ? [c.token] : [c.password, basic(c)];
}

/**
 * The credentials to try, in order and without repeats: the one given as an input or stored with
 * the resource first, then the one in the environment. Rotating a token must not break a later
 * destroy, which runs with the stored outputs: when the stored token is refused, the current one
 * from the environment is tried.
 */
export function credentialCandidates<C>(
  ordered: ReadonlyArray<C | undefined>,
  same: (a: C, b: C) => boolean,
): C[] {
  const out: C[] = [];
  for (const c of ordered) {
    if (c !== undefined && !out.some((o) => same(o, c))) out.push(c);
  }
  return out;
}

export interface CredentialPolicy<C> {
  readonly candidates: readonly C[];
  /** An authentication failure, after which the next candidate is tried; any other error is thrown at once. */
  readonly refused: (err: unknown) => boolean;
  /** The error when there is no candidate at all. */
  readonly missing: () => Error;
  /** The error when every candidate was refused (default: the last refusal). */
  readonly allRefused?: (last: unknown, tried: readonly C[]) => Error;
}

/** Runs `use` with each candidate in turn until one is not refused: the one credential loop. */
export async function withCredentials<C, T>(
  policy: CredentialPolicy<C>,
  use: (credential: C) => Promise<T>,
): Promise<T> {
  if (policy.candidates.length === 0) throw policy.missing();
  const tried: C[] = [];
  let last: unknown;
  for (const candidate of policy.candidates) {
    tried.push(candidate);
    try {
      return await use(candidate);
    } catch (err) {
      if (!policy.refused(err)) throw err;
      last = err;
    }
  }
  throw policy.allRefused ? policy.allRefused(last, tried) : last;
}
