// Sourcegraph's Bitbucket Server handler (for the Sourcegraph plugin's deliveries).
import { isForwardedEvent } from "./events";
import { header } from "./headers";
import { badSignature, refuse, unknownBitbucketServerKey } from "./messages";
import type { DeliveryInput, SignedVerdict, VerifiedSignature } from "./types";
import { isUnsignedPing } from "./unsigned-ping";
import { signedBy } from "./verify-signature";

export function verifyBitbucketServer({ headers, body, secrets }: DeliveryInput): SignedVerdict {
  const value = header(headers, "x-hub-signature");
  const event = header(headers, "x-event-key");
  let signature: VerifiedSignature | undefined;
  if (secrets.length > 0 && !isUnsignedPing(value, event)) {
    const secret = signedBy(value, body, secrets);
    if (secret < 0) return badSignature();
    signature = { value, secret };
  }
  if (!isForwardedEvent("BITBUCKETSERVER", event)) {
    return refuse(400, unknownBitbucketServerKey(event), "unknown_event");
  }
  return signature ? { ok: true, event, signature } : { ok: true, event };
}
