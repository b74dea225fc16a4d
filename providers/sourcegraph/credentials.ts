// Where the endpoint and token come from: inputs first, then
// SRC_ENDPOINT / SRC_ACCESS_TOKEN (the names of Sourcegraph's `src` CLI), read at call time.
// An existing receiver always uses the endpoint stored in its outputs; its token is the stored
// one, and the environment's when the stored one is refused (a rotated token).
import { env, normalizeBaseUrl, tokenCredential, withCredentials } from "../shared";
import type { SourcegraphConnection } from "./client";
import { isRefused, missingEndpoint, missingToken, SourcegraphError } from "./errors";

export function endpointForCreate(given: string | undefined): string {
  const raw = given ?? env("SRC_ENDPOINT");
  if (!raw) throw missingEndpoint();
  try {
    return normalizeBaseUrl(raw);
  } catch (err) {
    const from = given ? "sourcegraph.endpoint" : "SRC_ENDPOINT";
    throw new SourcegraphError(
      `${from} must be the absolute http(s) URL of the Sourcegraph instance, such as https://sourcegraph.example.com`,
      "config",
      { cause: err },
    );
  }
}

/** Which instance to call, with which tokens. */
export interface Target {
  /** Normalized. */
  readonly endpoint: string;
  /** The token given as input, then the stored one; SRC_ACCESS_TOKEN comes last. */
  readonly given?: string;
  readonly stored?: string;
  /** Webhook secrets to keep out of error messages. */
  readonly secrets: ReadonlyArray<string | undefined>;
}

/** Runs `fn` with each token in turn, moving on when one is refused (rotated or revoked). */
export function withClient<T>(target: Target, fn: (conn: SourcegraphConnection) => Promise<T>): Promise<T> {
  const candidates = [
    tokenCredential(target.given, "sourcegraph.accessToken"),
    tokenCredential(target.stored, "the stored sourcegraph.accessToken"),
    tokenCredential(env("SRC_ACCESS_TOKEN"), "SRC_ACCESS_TOKEN"),
  ];
  return withCredentials({ candidates, refused: isRefused, missing: missingToken }, (credential) =>
    fn({ endpoint: target.endpoint, accessToken: credential.token, secrets: target.secrets }),
  );
}
