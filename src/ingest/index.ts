// `pulumi-sourcegraph-webhooks/ingest`: decide on a code host's webhook delivery exactly as
// Sourcegraph's receiver would, and re-sign it for forwarding. Runtime-agnostic: no HTTP server here.
export { DELIVERY_ID_HEADER, deliveryId, HOOK_ID_HEADER, hookId } from "./delivery-id";
export { FORWARDED_EVENTS, isForwardedEvent } from "./events";
export { forwardableHeaders, resignDelivery, signatureHeaders } from "./forward-headers";
export { header } from "./headers";
export * as messages from "./messages";
export { parseUuid } from "./parse-uuid";
export {
  CODE_HOST_KINDS,
  type CodeHostKind,
  type DeliveryHeaders,
  type DeliveryInput,
  type Refusal,
  type RejectReason,
  type Verdict,
} from "./types";
export { isUnsignedPing } from "./unsigned-ping";
export { verifyDelivery, verifyDeliverySync } from "./verify-delivery";
export { type HeaderVerdict, verifyHeaders } from "./verify-headers";
export { couldVerify, sign, verifySignature } from "./verify-signature";
export { verifyToken } from "./verify-token";
