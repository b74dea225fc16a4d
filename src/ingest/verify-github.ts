// Sourcegraph's GitHub handler: go-github's ValidatePayload (when the receiver has a secret), then
// ParseWebHook on the event type and the JSON payload.
import { isForwardedEvent } from "./events";
import { header } from "./headers";
import { formField, parseMediaType } from "./media-type";
import { badSignature, refuse, unknownGitHubEvent } from "./messages";
import { isObjectOrNull, jsonTypeName, parseJson } from "./parse-json";
import type { DeliveryInput, SignedVerdict, VerifiedSignature } from "./types";
import { signedBy } from "./verify-signature";

export function verifyGitHub({ headers, body, secrets }: DeliveryInput): SignedVerdict {
  let payload: Uint8Array = body;
  let signature: VerifiedSignature | undefined;
  if (secrets.length > 0) {
    const media = parseMediaType(header(headers, "content-type"));
    if (media !== "application/json" && media !== "application/x-www-form-urlencoded") return badSignature();
    // The HMAC over the raw bytes comes first: an unsigned body is never parsed. (go-github parses
    // a form before it checks the signature, but either failure is the same 400.)
    const value = header(headers, "x-hub-signature-256") || header(headers, "x-hub-signature");
    const secret = signedBy(value, body, secrets);
    if (secret < 0) return badSignature();
    signature = { value, secret };
    if (media === "application/x-www-form-urlencoded") {
      // The JSON sits in the `payload` field; the signature covers the raw form body.
      const field = formField(body, "payload");
      if (field === undefined) return badSignature();
      payload = Buffer.from(field, "utf8");
    }
  }
  const event = header(headers, "x-github-event");
  if (!isForwardedEvent("GITHUB", event)) return refuse(400, unknownGitHubEvent(event), "unknown_event");
  const parsed = parseJson(payload);
  if (!parsed.ok) return refuse(400, parsed.message, "malformed_body");
  if (!isObjectOrNull(parsed.value)) {
    return refuse(
      400,
      `json: cannot unmarshal ${jsonTypeName(parsed.value)} into Go value of type github event`,
      "malformed_body",
    );
  }
  return signature ? { ok: true, event, signature } : { ok: true, event };
}
