// Which credential a call uses: the one given as `bitbucketCloud` input (stored with the hook, so
// a later delete works), then the environment's, read at call time, when Bitbucket refuses it.
import { type Credential, env, tokenOrBasic, withCredentials } from "../shared";
import { describeTarget, HookClient, type HookTarget, hookTarget } from "./client";
import { BitbucketCloudError, CREDENTIALS_HINT, isRefused } from "./errors";
import { type Connection, ENV, SERVICE } from "./types";

/** An access token, or an Atlassian API token, which authenticates with the account e-mail. */
const INPUT = { token: "token", username: "email", password: "apiToken" } as const;

/** The credential given as input, if any. */
export function credentialFromConnection(c: Connection | undefined): Credential | undefined {
  return tokenOrBasic((name) => c?.[name as keyof Connection], INPUT, "bitbucketCloud.");
}

/** The credential in the environment, read at call time: an access token wins over an API token. */
export function credentialFromEnv(): Credential | undefined {
  return tokenOrBasic(env, { token: ENV.token, username: ENV.email, password: ENV.apiToken });
}

/** Values that must never appear in an error or log line: the given ones, and the environment's tokens. */
export function secretsOf(
  connection: Connection | undefined,
  ...values: ReadonlyArray<string | undefined>
): string[] {
  const out = [connection?.token, connection?.apiToken, ...values, env(ENV.token), env(ENV.apiToken)];
  return out.filter((s): s is string => s !== undefined && s.length > 0);
}

/** Where a call goes and with what. */
export interface Target extends HookTarget {
  /** The connection given as input or stored with the hook. */
  readonly connection?: Connection;
  /** Webhook secrets to keep out of messages. */
  readonly secrets: ReadonlyArray<string | undefined>;
}

/**
 * Runs `fn` with a client for each credential in turn (the stored or declared one first, then the
 * environment's when that one is refused: rotation must not break a destroy).
 */
export function withClient<T>(target: Target, fn: (client: HookClient) => Promise<T>): Promise<T> {
  const where = hookTarget(target);
  const secrets = secretsOf(target.connection, ...target.secrets);
  return withCredentials(
    {
      candidates: [credentialFromConnection(target.connection), credentialFromEnv()],
      refused: isRefused,
      missing: () =>
        new BitbucketCloudError(
          `no ${SERVICE} credentials to manage the hook of ${describeTarget(where)} at ${where.apiUrl}: ${CREDENTIALS_HINT}`,
          "missingCredentials",
        ),
    },
    (credential) => fn(new HookClient(where, credential, secrets)),
  );
}
