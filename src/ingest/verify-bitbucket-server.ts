// Sourcegraph's Bitbucket Server handler (for the Sourcegraph plugin's deliveries).
import { isForwardedEvent } from "./events";
import { header } from "./headers";
import { badSignature, refuse, unknownBitbucketServerKey } from "./messages";
import type { DeliveryInput, Verdict } from "./types";
import { isUnsignedPing } from "./unsigned-ping";
import { verifySignature } from "./verify-signature";

export function verifyBitbucketServer({ headers, body, secrets }: DeliveryInput): Verdict {
  const signature = header(headers, "x-hub-signature");
  const event = header(headers, "x-event-key");
  if (secrets.length > 0 && !isUnsignedPing(signature, event) && !verifySignature(signature, body, secrets))
    return badSignature();
  if (!isForwardedEvent("BITBUCKETSERVER", event)) {
    return refuse(400, unknownBitbucketServerKey(event), "unknown_event");
  }
  return { ok: true, event };
}
