// The runtime-agnostic half of the relay's endpoint: resolve the receiver, verify the delivery as
// Sourcegraph would, store it, and say what to answer. The Node adapter only moves bytes.
import type { Logger } from "pino";
import {
  type DeliveryHeaders,
  deliveryId,
  forwardableHeaders,
  messages,
  parseUuid,
  verifyDeliverySync,
} from "../ingest";
import type { RelayMetrics } from "./metrics";
import type { Receiver } from "./receivers";
import type { DeliveryStore, NewDelivery, StoredDelivery } from "./store";

export interface Answer {
  readonly status: number;
  /** Plain text; Sourcegraph's words for its statuses. */
  readonly message: string;
}

export interface ReceiveDeps {
  readonly store: DeliveryStore;
  readonly receiver: (uuid: string) => Receiver | undefined;
  readonly metrics: RelayMetrics;
  readonly logger: Logger;
  /** Called with each delivery once it is committed (not with redeliveries dropped as duplicates). */
  readonly stored: (delivery: StoredDelivery) => void;
}

/** Step 1 of Sourcegraph's router: the UUID from the path, then the receiver (400, 404). */
export function resolveReceiver(deps: ReceiveDeps, rawUuid: string): Receiver | Answer {
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

/** Verifies and stores a delivery for a resolved receiver; 202 only once it is committed. */
export async function acceptDelivery(
  deps: ReceiveDeps,
  receiver: Receiver,
  headers: DeliveryHeaders,
  body: Uint8Array,
): Promise<Answer> {
  const { metrics, logger } = deps;
  const kind = receiver.codeHostKind;
  metrics.received.inc({ kind });
  const verdict = verifyDeliverySync({ kind, headers, body, secrets: receiver.secrets });
  const id = deliveryId(kind, headers);
  if (!verdict.ok) {
    metrics.rejected.inc({ reason: verdict.reason });
    logger.info(
      { receiver: receiver.uuid, kind, deliveryId: id, status: verdict.status, reason: verdict.reason },
      "rejected",
    );
    return { status: verdict.status, message: verdict.message };
  }
  const delivery: NewDelivery = {
    receiverUuid: receiver.uuid,
    kind,
    event: verdict.event,
    ...(id !== undefined ? { deliveryId: id } : {}),
    headers: forwardableHeaders(headers),
    body,
    receivedAt: Date.now(),
  };
  let result: { id: number; duplicate: boolean };
  try {
    result = await deps.store.add(delivery);
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
  logger.info(
    { id: result.id, receiver: receiver.uuid, kind, event: verdict.event, deliveryId: id },
    "accepted",
  );
  deps.stored({ ...delivery, id: result.id, attempts: 0, windowStart: delivery.receivedAt });
  return { status: 202, message: "accepted" };
}
