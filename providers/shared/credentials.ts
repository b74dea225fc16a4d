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

/** A token credential, or undefined when there is no token. */
export function tokenCredential(token: string | undefined, source: string): TokenCredential | undefined {
  return token ? { kind: "token", token, source } : undefined;
}

/** Where the three settings of a token-or-basic credential live: input fields, or environment variables. */
export interface TokenOrBasicNames {
  readonly token: string;
  readonly username: string;
  readonly password: string;
}

/**
 * The credential that `read` finds under `names`, if any: a token wins over a username and
 * password, which count only together. Its source is the setting's name after `prefix`
 * (`bitbucketServer.token`, `BITBUCKET_SERVER_USERNAME + BITBUCKET_SERVER_PASSWORD`).
 */
export function tokenOrBasic(
  read: (name: string) => string | undefined,
  names: TokenOrBasicNames,
  prefix = "",
): Credential | undefined {
  const token = tokenCredential(read(names.token), `${prefix}${names.token}`);
  if (token) return token;
  const username = read(names.username);
  const password = read(names.password);
  if (!username || !password) return undefined;
  return {
    kind: "basic",
    username,
    password,
    source: `${prefix}${names.username} + ${prefix}${names.password}`,
  };
}

function sameCredential(a: Credential, b: Credential): boolean {
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
function inOrder<C extends Credential>(ordered: ReadonlyArray<C | undefined>): C[] {
  const out: C[] = [];
  for (const c of ordered) {
    if (c !== undefined && !out.some((o) => sameCredential(o, c))) out.push(c);
  }
  return out;
}

export interface CredentialPolicy<C extends Credential> {
  /** Given or stored first, the environment's last; absent ones and repeats are skipped. */
  readonly candidates: ReadonlyArray<C | undefined>;
  /** An authentication failure, after which the next candidate is tried; any other error is thrown at once. */
  readonly refused: (err: unknown) => boolean;
  /** The error when there is no candidate at all. */
  readonly missing: () => Error;
  /** The error when every candidate was refused (default: the last refusal). */
  readonly allRefused?: (last: unknown, tried: readonly C[]) => Error;
}

/** Runs `use` with each candidate in turn until one is not refused: the one credential loop. */
export async function withCredentials<C extends Credential, T>(
  policy: CredentialPolicy<C>,
  use: (credential: C) => Promise<T>,
): Promise<T> {
  const candidates = inOrder(policy.candidates);
  if (candidates.length === 0) throw policy.missing();
  const tried: C[] = [];
  let last: unknown;
  for (const candidate of candidates) {
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
