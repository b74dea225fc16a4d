// Sourcegraph's Bitbucket Cloud handler (5.5 and later verify the signature).
import { isForwardedEvent } from "./events";
import { header } from "./headers";
import { badSignature, refuse, unknownBitbucketCloudKey } from "./messages";
import { parseJson } from "./parse-json";
import type { DeliveryInput, Verdict } from "./types";
import { verifySignature } from "./verify-signature";

export function verifyBitbucketCloud({ headers, body, secrets }: DeliveryInput): Verdict {
  if (secrets.length > 0 && !verifySignature(header(headers, "x-hub-signature"), body, secrets)) {
    return badSignature();
  }
  const event = header(headers, "x-event-key");
  if (!isForwardedEvent("BITBUCKETCLOUD", event)) {
    return refuse(404, unknownBitbucketCloudKey(event), "unknown_event");
  }
  const parsed = parseJson(body);
  if (!parsed.ok) return refuse(500, `parsing webhook: ${parsed.message}`, "malformed_body");
  return { ok: true, event };
}
