// Which token a call uses: the one given as `gitlab.token` (stored with the hook, so a later
// delete works), then GITLAB_TOKEN read at call time, so a rotated token breaks neither refresh
// nor destroy.
import { env, type TokenCredential, tokenCredential, withCredentials } from "../shared";
import { type HookClient, hookClient } from "./client";
import { explain, GitLabHttpError, missingToken, unauthorized } from "./errors";
import type { HookScope } from "./types";

/** Where a call goes and with what. */
export interface Target {
  readonly scope: HookScope;
  /** The instance URL, such as https://gitlab.example.com. */
  readonly instance: string;
  /** The project or group, for messages. */
  readonly owner: string;
  /** The token given as input or stored with the hook; GITLAB_TOKEN comes after it. */
  readonly credential?: TokenCredential;
  /** The hook's secret token, kept out of messages. */
  readonly secret?: string;
}

const isUnauthorized = (err: unknown): boolean => err instanceof GitLabHttpError && err.status === 401;

/**
 * Runs `fn` with a client for each token in turn until one is not refused. Errors other than 401
 * are turned into ones that name the fix.
 */
export function withClient<T>(target: Target, fn: (client: HookClient) => Promise<T>): Promise<T> {
  const { scope, instance, owner, secret } = target;
  const candidates = [target.credential, tokenCredential(env("GITLAB_TOKEN"), "GITLAB_TOKEN")];
  const secrets = [...candidates.map((c) => c?.token), secret];
  return withCredentials(
    {
      candidates,
      refused: isUnauthorized,
      missing: () => missingToken(instance),
      allRefused: (last, tried) => unauthorized(instance, tried.at(-1)?.source, secrets, last),
    },
    async (credential) => {
      const client = hookClient(scope, { url: instance, token: credential.token }, secret);
      try {
        return await fn(client);
      } catch (err) {
        if (isUnauthorized(err)) throw err;
        throw await explain(err, { scope, owner, instance, tokenSource: credential.source, secrets }, client);
      }
    },
  );
}
