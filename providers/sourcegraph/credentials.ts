// Where the endpoint and token come from: inputs first, then
// SRC_ENDPOINT / SRC_ACCESS_TOKEN (the names of Sourcegraph's `src` CLI), read at call time.
// An existing receiver always uses the endpoint stored in its outputs; its token is the stored
// one, and the environment's when the stored one is refused (a rotated token).
import { env } from "../shared";
import { missingEndpoint, SourcegraphError } from "./errors";
import { normalizeEndpoint } from "./urn";

export function endpointForCreate(given: string | undefined): string {
  const raw = given ?? env("SRC_ENDPOINT");
  if (!raw) throw missingEndpoint();
  try {
    return normalizeEndpoint(raw);
  } catch {
    const from = given ? "sourcegraph.endpoint" : "SRC_ENDPOINT";
    throw new SourcegraphError(
      `${from} must be the absolute http(s) URL of the Sourcegraph instance, such as https://sourcegraph.example.com`,
      "config",
    );
  }
}

/** Tokens to try in order, without repeats: the given ones, then SRC_ACCESS_TOKEN. */
export function tokenCandidates(...given: Array<string | undefined>): string[] {
  const out: string[] = [];
  for (const t of [...given, env("SRC_ACCESS_TOKEN")]) {
    if (t && !out.includes(t)) out.push(t);
  }
  return out;
}
