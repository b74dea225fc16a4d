// The part of Sourcegraph's decision that the headers alone settle. The relay asks it before it
// reads a body, so a request that cannot pass costs neither memory nor an HMAC.
import { header } from "./headers";
import { parseMediaType } from "./media-type";
import { badSignature, notImplemented, refuse } from "./messages";
import type { DeliveryInput, Refusal } from "./types";
import { isUnsignedPing } from "./unsigned-ping";
import { usableSecrets } from "./usable-secrets";
import { couldVerify } from "./verify-signature";
import { verifyToken } from "./verify-token";

export type HeaderVerdict =
  /** GitLab's token matched: the body comes from someone who holds the secret. */
  | "sender_verified"
  /** Only the body can tell (its signature, or nothing at all for a receiver without a secret). */
  | "body_decides"
  /** What verifyDelivery would answer whatever the body: Sourcegraph's status and message. */
  | Refusal;

/**
 * A refusal no body could change (a wrong GitLab token; a signature header that is missing or
 * malformed; a GitHub content type other than JSON or a form), or what the body still has to show.
 */
export function verifyHeaders({ kind, headers, secrets }: Omit<DeliveryInput, "body">): HeaderVerdict {
  const usable = usableSecrets(secrets);
  switch (kind) {
    case "GITLAB":
      if (usable.length === 0) return "body_decides";
      return verifyToken(header(headers, "x-gitlab-token"), usable) ? "sender_verified" : badSignature();
    case "GITHUB": {
      if (usable.length === 0) return "body_decides";
      const media = parseMediaType(header(headers, "content-type"));
      if (media !== "application/json" && media !== "application/x-www-form-urlencoded")
        return badSignature();
      const signature = header(headers, "x-hub-signature-256") || header(headers, "x-hub-signature");
      return couldVerify(signature) ? "body_decides" : badSignature();
    }
    case "BITBUCKETSERVER": {
      const signature = header(headers, "x-hub-signature");
      if (usable.length === 0 || isUnsignedPing(signature, header(headers, "x-event-key")))
        return "body_decides";
      return couldVerify(signature) ? "body_decides" : badSignature();
    }
    case "BITBUCKETCLOUD":
      if (usable.length === 0) return "body_decides";
      return couldVerify(header(headers, "x-hub-signature")) ? "body_decides" : badSignature();
    default:
      return refuse(501, notImplemented(String(kind)), "unsupported_kind");
  }
}
