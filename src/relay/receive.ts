// The runtime-agnostic half of the relay's endpoint: resolve the receiver, check what the headers
// alone decide, verify the delivery as Sourcegraph would, store it, and say what to answer. The
// Node adapter only moves bytes.
import type { Logger } from "pino";
import {
  type DeliveryHeaders,
  deliveryId,
  forwardableHeaders,
  hookId,
  isUnsignedPing,
  messages,
  parseUuid,
  verifyHeaders,
} from "../ingest";
import { verifySigned } from "../ingest/verify-delivery";
import type { RelayMetrics } from "./metrics";
import type { RelayReceiver } from "./receivers-file";
import { repeatedHeader } from "./repeated-headers";
import type { SignatureReuse } from "./signature-reuse";
import type { AddResult, ClaimedDelivery, DeliveryStore, Lease, NewDelivery } from "./store";

export interface Answer {
  readonly status: number;
  /** Plain text; Sourcegraph's words for its statuses. */
  readonly message: string;
}

export interface ReceiveDeps {
  readonly store: DeliveryStore;
  readonly receiver: (uuid: string) => RelayReceiver | undefined;
  readonly metrics: RelayMetrics;
  readonly logger: Logger;
  /** This relay's claims: a delivery is stored already claimed by it. */
  readonly lease: Lease;
  /**
   * Called with each delivery once it is committed, claimed by this relay (not with redeliveries
   * dropped as duplicates): the forwarder takes it from memory, and no one else can send it.
   */
  readonly stored: (delivery: ClaimedDelivery) => void;
  /** Keeps the code host's signature for forwarding; without it every delivery is signed again. */
  readonly signatures?: SignatureReuse;
}

/** Step 1 of Sourcegraph's router: the UUID from the path, then the receiver (400, 404). */
export function resolveReceiver(deps: ReceiveDeps, rawUuid: string): RelayReceiver | Answer {
  if (rawUuid === "") {
    deps.metrics.rejected.inc({ reason: "malformed_uuid" });
    return { status: 400, message: messages.MISSING_UUID };
  }
  const uuid = parseUuid(rawUuid);
  if (!uuid) {
    deps.metrics.rejected.inc({ reason: "malformed_uuid" });
    return { status: 400, message: messages.unparsableUuid(rawUuid) };
  }
  const receiver = deps.receiver(uuid);
  if (!receiver) {
    deps.metrics.rejected.inc({ reason: "unknown_receiver" });
    return { status: 404, message: messages.UNKNOWN_RECEIVER };
  }
  return receiver;
}

/** Request headers as Node's `headersDistinct` gives them: lowercase names, every value kept. */
export type DistinctHeaders = Readonly<Record<string, readonly string[] | undefined>>;

/**
 * Step 2, before any body is read. What the relay refuses on its own account (documented
 * deviations from Sourcegraph): a repeated security-relevant header (400), and Bitbucket Server's
 * unsigned `diagnostics:ping`, answered 200 as Sourcegraph does but neither stored nor forwarded
 * (nothing vouches for its body). Then what Sourcegraph would refuse whatever the body: a wrong
 * GitLab token, a signature header that cannot match. Otherwise, whether the sender is already
 * verified (GitLab's token) or the body must show it.
 */
export function checkHeaders(
  deps: ReceiveDeps,
  receiver: RelayReceiver,
  headers: DistinctHeaders,
): Answer | "sender_verified" | "body_decides" {
  const kind = receiver.codeHostKind;
  deps.metrics.received.inc({ kind });
  const repeated = repeatedHeader(kind, headers);
  if (repeated !== undefined) {
    return refused(
      deps,
      receiver,
      headers,
      { status: 400, message: `repeated ${repeated} header` },
      "repeated_header",
    );
  }
  if (
    kind === "BITBUCKETSERVER" &&
    isUnsignedPing(headers["x-hub-signature"]?.[0] ?? "", headers["x-event-key"]?.[0] ?? "")
  ) {
    // Sourcegraph's answer to a ping: 200 and no body.
    return refused(deps, receiver, headers, { status: 200, message: "" }, "unsigned_ping");
  }
  const verdict = verifyHeaders({ kind, headers, secrets: receiver.secrets });
  if (typeof verdict === "string") return verdict;
  return refused(deps, receiver, headers, verdict, verdict.reason);
}

function refused(
  deps: ReceiveDeps,
  receiver: RelayReceiver,
  headers: DeliveryHeaders,
  answer: Answer,
  reason: string,
): Answer {
  const kind = receiver.codeHostKind;
  deps.metrics.rejected.inc({ reason });
  deps.logger.info(
    { receiver: receiver.uuid, kind, deliveryId: deliveryId(kind, headers), status: answer.status, reason },
    "rejected",
  );
  return answer;
}

/**
 * Verifies and stores a delivery for a resolved receiver whose headers passed `checkHeaders`; 202
 * only once it is committed. The verification runs before the first `await`: once this returns its
 * promise, the body is verified or refused.
 */
export async function acceptDelivery(
  deps: ReceiveDeps,
  receiver: RelayReceiver,
  headers: DeliveryHeaders,
  body: Uint8Array,
): Promise<Answer> {
  const { metrics, logger } = deps;
  const kind = receiver.codeHostKind;
  const verdict = verifySigned({ kind, headers, body, secrets: receiver.secrets });
  if (!verdict.ok) return refused(deps, receiver, headers, verdict, verdict.reason);
  const id = deliveryId(kind, headers);
  const hook = hookId(kind, headers);
  const signature = deps.signatures?.keep(kind, verdict.signature, receiver.secrets);
  const delivery: NewDelivery = {
    receiverUuid: receiver.uuid,
    kind,
    event: verdict.event,
    ...(id !== undefined ? { deliveryId: id } : {}),
    ...(hook !== undefined ? { hookId: hook } : {}),
    headers: forwardableHeaders(headers),
    body,
    receivedAt: Date.now(),
    ...(signature !== undefined ? { signature } : {}),
  };
  let result: AddResult;
  try {
    result = await deps.store.add(delivery, deps.lease);
  } catch (err) {
    metrics.rejected.inc({ reason: "store_failed" });
    logger.error({ err, receiver: receiver.uuid, kind }, "could not store a delivery");
    // Not acknowledged: the code host (or its operator) must send it again.
    return { status: 503, message: "the relay could not store the delivery; try again later" };
  }
  if (result.duplicate) {
    metrics.duplicates.inc({ kind });
    logger.info(
      { receiver: receiver.uuid, kind, event: verdict.event, deliveryId: id },
      "redelivery dropped",
    );
    return { status: 202, message: "already accepted" };
  }
  metrics.accepted.inc({ kind });
  // At info a delivery gets one line, when Sourcegraph's answer settles it ("forwarded"); a line here
  // too cost about as much as the rest of the endpoint's bookkeeping. A revival is rarer, and news.
  if (result.revived) {
    logger.info(
      { id: result.id, receiver: receiver.uuid, kind, event: verdict.event, deliveryId: id },
      "accepted: a redelivery of a dead letter, which is queued again",
    );
  } else if (logger.isLevelEnabled("debug")) {
    logger.debug(
      { id: result.id, receiver: receiver.uuid, kind, event: verdict.event, deliveryId: id },
      "accepted",
    );
  }
  // Without a claim (a store that took it free), the forwarder's query finds it instead.
  if (result.claimId !== undefined) {
    deps.stored({
      ...delivery,
      id: result.id,
      attempts: 0,
      windowStart: delivery.receivedAt,
      claimId: result.claimId,
    });
  }
  return { status: 202, message: "accepted" };
}
