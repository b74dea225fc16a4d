// The relay refuses a request that repeats a header which decides what is verified or forwarded.
// Sourcegraph (Go's Header.Get) reads the first value, and so does verifyDelivery; but a list
// forwarded under the relay's own signature would be read differently by whoever comes next, and
// no code host sends these twice. A documented deviation from Sourcegraph.
import type { CodeHostKind } from "../ingest";

/**
 * Per kind, the headers src/ingest reads (event, signature or token, content type, delivery ID),
 * plus the delivery ID and event headers the code host sends that are forwarded as they are.
 */
export const REPEAT_REFUSED: Readonly<Record<CodeHostKind, readonly string[]>> = {
  GITHUB: [
    "X-GitHub-Event",
    "X-Hub-Signature-256",
    "X-Hub-Signature",
    "Content-Type",
    "X-GitHub-Delivery",
    "X-GitHub-Hook-ID",
  ],
  GITLAB: ["X-Gitlab-Token", "X-Gitlab-Event", "Idempotency-Key"],
  BITBUCKETSERVER: ["X-Event-Key", "X-Hub-Signature", "X-Request-Id"],
  BITBUCKETCLOUD: ["X-Event-Key", "X-Hub-Signature", "X-Request-UUID"],
};

const lowercased = (names: readonly string[]) => names.map((n) => [n.toLowerCase(), n] as const);
const LOOKUP = {
  GITHUB: lowercased(REPEAT_REFUSED.GITHUB),
  GITLAB: lowercased(REPEAT_REFUSED.GITLAB),
  BITBUCKETSERVER: lowercased(REPEAT_REFUSED.BITBUCKETSERVER),
  BITBUCKETCLOUD: lowercased(REPEAT_REFUSED.BITBUCKETCLOUD),
} satisfies Record<CodeHostKind, unknown>;

/**
 * The name (as code hosts spell it) of the first checked header sent more than once, or undefined.
 * `headers` is Node's `headersDistinct`: lowercase names, every value kept.
 */
export function repeatedHeader(
  kind: CodeHostKind,
  headers: Readonly<Record<string, readonly string[] | undefined>>,
): string | undefined {
  for (const [lower, name] of LOOKUP[kind]) {
    const values = headers[lower];
    if (values !== undefined && values.length > 1) return name;
  }
  return undefined;
}
