// Which credential a call uses: the one given as `bitbucketServer` input (stored with the hook, so
// a later delete works), then the environment's, read at call time, when the plugin refuses it.
import { type Credential, env, tokenOrBasic, withCredentials } from "../shared";
import type { Session } from "./client";
import { missingCredentials, NotSystemAdminError } from "./errors";
import type { BitbucketServerConnection } from "./types";

const INPUT = { token: "token", username: "username", password: "password" } as const;
const ENV = {
  token: "BITBUCKET_SERVER_TOKEN",
  username: "BITBUCKET_SERVER_USERNAME",
  password: "BITBUCKET_SERVER_PASSWORD",
} as const;

/** The credential given as input (and so stored with the resource), if any. */
export function credentialFromConnection(
  conn: BitbucketServerConnection | undefined,
): Credential | undefined {
  return tokenOrBasic((name) => conn?.[name as keyof BitbucketServerConnection], INPUT, "bitbucketServer.");
}

/** The environment's credential, read at call time; a token wins over a username and password. */
export function credentialFromEnv(): Credential | undefined {
  return tokenOrBasic(env, ENV);
}

/** Where a call goes and with what. */
export interface Target {
  readonly instanceUrl: string;
  /** The connection given as input or stored with the hook. */
  readonly connection?: BitbucketServerConnection;
  /** Webhook secrets to keep out of messages. */
  readonly secrets: ReadonlyArray<string | undefined>;
}

/**
 * Runs `fn` with the credential given as input, then, if the plugin refuses it, with the
 * environment's: a rotated token must not break a later destroy. When all are refused, the error
 * names every one tried.
 */
export function withClient<T>(target: Target, fn: (s: Session) => Promise<T>): Promise<T> {
  const { instanceUrl } = target;
  const secrets = target.secrets.filter((s): s is string => !!s);
  return withCredentials(
    {
      candidates: [credentialFromConnection(target.connection), credentialFromEnv()],
      refused: (err) => err instanceof NotSystemAdminError,
      missing: () => missingCredentials(instanceUrl),
      allRefused: (_last, tried) =>
        new NotSystemAdminError(
          instanceUrl,
          tried.map((c) => c.source),
        ),
    },
    (credential) => fn({ instanceUrl, credential, secrets }),
  );
}
