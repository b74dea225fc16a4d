import { env } from "../shared";
import type { BitbucketServerConnection } from "./types";

/** A credential and where it came from, so a refusal can say which setting to fix. */
export type Credential =
  | { readonly kind: "token"; readonly token: string; readonly source: string }
  | { readonly kind: "basic"; readonly username: string; readonly password: string; readonly source: string };

export const CREDENTIAL_SETTINGS =
  "bitbucketServer.token (or bitbucketServer.username + bitbucketServer.password), or the environment variables BITBUCKET_SERVER_TOKEN (or BITBUCKET_SERVER_USERNAME + BITBUCKET_SERVER_PASSWORD)";

/** The credential given as input (and so stored with the resource), if any. */
export function credentialFromConnection(
  conn: BitbucketServerConnection | undefined,
): Credential | undefined {
  if (conn?.token) return { kind: "token", token: conn.token, source: "bitbucketServer.token" };
  if (conn?.username && conn.password) {
    return {
      kind: "basic",
      username: conn.username,
      password: conn.password,
      source: "bitbucketServer.username + bitbucketServer.password",
    };
  }
  return undefined;
}

/** The environment's credential, read at call time; a token wins over a username and password. */
export function credentialFromEnv(): Credential | undefined {
  const token = env("BITBUCKET_SERVER_TOKEN");
  if (token) return { kind: "token", token, source: "BITBUCKET_SERVER_TOKEN" };
  const username = env("BITBUCKET_SERVER_USERNAME");
  const password = env("BITBUCKET_SERVER_PASSWORD");
  if (username && password) {
    return {
      kind: "basic",
      username,
      password,
      source: "BITBUCKET_SERVER_USERNAME + BITBUCKET_SERVER_PASSWORD",
    };
  }
  return undefined;
}

export function sameCredential(a: Credential, b: Credential): boolean {
  if (a.kind === "token" && b.kind === "token") return a.token === b.token;
  if (a.kind === "basic" && b.kind === "basic") return a.username === b.username && a.password === b.password;
  return false;
}

export function authorization(c: Credential): string {
  return c.kind === "token"
    ? `Bearer ${c.token}`
    : `Basic ${Buffer.from(`${c.username}:${c.password}`, "utf8").toString("base64")}`;
}

/** Values to strip from any message. */
export function credentialSecrets(c: Credential | undefined): string[] {
  if (!c) return [];
  return c.kind === "token"
    ? [c.token]
    : [c.password, Buffer.from(`${c.username}:${c.password}`, "utf8").toString("base64")];
}
