// Sourcegraph's Bitbucket Cloud handler (5.5 and later verify the signature).
import { isForwardedEvent } from "./events";
import { header } from "./headers";
import { badSignature, refuse, unknownBitbucketCloudKey } from "./messages";
import { parseJson } from "./parse-json";
import type { DeliveryInput, SignedVerdict, VerifiedSignature } from "./types";
import { signedBy } from "./verify-signature";

export function verifyBitbucketCloud({ headers, body, secrets }: DeliveryInput): SignedVerdict {
  let signature: VerifiedSignature | undefined;
  if (secrets.length > 0) {
    const value = header(headers, "x-hub-signature");
    const secret = signedBy(value, body, secrets);
    if (secret < 0) return badSignature();
    signature = { value, secret };
  }
  const event = header(headers, "x-event-key");
  if (!isForwardedEvent("BITBUCKETCLOUD", event)) {
    return refuse(404, unknownBitbucketCloudKey(event), "unknown_event");
  }
  const parsed = parseJson(body);
  if (!parsed.ok) return refuse(500, `parsing webhook: ${parsed.message}`, "malformed_body");
  return signature ? { ok: true, event, signature } : { ok: true, event };
}
