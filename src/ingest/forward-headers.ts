import type { CodeHostKind, DeliveryHeaders } from "./types";
import { sign } from "./verify-signature";

/** Headers that carry the signature or the shared token: never stored, recomputed on forwarding. */
const CREDENTIAL_HEADERS = new Set(["x-hub-signature", "x-hub-signature-256", "x-gitlab-token"]);

/**
 * What Sourcegraph reads, and what helps it or an operator trace a delivery: the content type, the
 * user agent, the event and delivery headers of each code host. Everything else (hop-by-hop
 * headers, Host, Content-Length, proxies' X-Forwarded-*, cookies, Authorization) stays behind.
 */
function isForwarded(name: string): boolean {
  return (
    name === "content-type" ||
    name === "user-agent" ||
    name === "idempotency-key" ||
    name === "x-attempt-number" ||
    name.startsWith("x-github-") ||
    name.startsWith("x-gitlab-") ||
    name.startsWith("x-event-") ||
    name.startsWith("x-hook-") ||
    name.startsWith("x-request-")
  );
}

/**
 * The headers of a delivery worth keeping for forwarding, lowercased, without its signature or
 * token (those are recomputed with the receiver's current secret when it is forwarded).
 */
export function forwardableHeaders(headers: DeliveryHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [rawName, value] of Object.entries(headers)) {
    const name = rawName.toLowerCase();
    if (value === undefined || CREDENTIAL_HEADERS.has(name) || !isForwarded(name)) continue;
    const text = typeof value === "string" ? value : value.join(", ");
    // Bounded, so a stored delivery cannot be inflated through its headers.
    if (text.length <= 8192) out[name] = text;
  }
  return out;
}

/**
 * The signature headers (or GitLab token) for forwarding a body to a receiver whose current secret
 * is `secret`: Sourcegraph checks it against the one secret it holds. Empty when there is none.
 */
export function signatureHeaders(
  kind: CodeHostKind,
  body: Uint8Array,
  secret: string | undefined,
): Record<string, string> {
  if (!secret) return {};
  switch (kind) {
    case "GITHUB":
      return {
        "x-hub-signature-256": sign("sha256", secret, body),
        "x-hub-signature": sign("sha1", secret, body),
      };
    case "GITLAB":
      // Header values travel as bytes: send the UTF-8 bytes of the token (HTTP clients refuse
      // characters above U+00FF), which is what GitLab itself sends.
      return { "x-gitlab-token": Buffer.from(secret, "utf8").toString("latin1") };
    case "BITBUCKETSERVER":
    case "BITBUCKETCLOUD":
      return { "x-hub-signature": sign("sha256", secret, body) };
  }
}

/** Stored headers plus a fresh signature made with `secrets[0]`: what goes to Sourcegraph. */
export function resignDelivery(input: {
  kind: CodeHostKind;
  headers: DeliveryHeaders;
  body: Uint8Array;
  secrets: readonly string[];
}): Record<string, string> {
  return {
    ...forwardableHeaders(input.headers),
    ...signatureHeaders(input.kind, input.body, input.secrets[0]),
  };
}
