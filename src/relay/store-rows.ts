// The deliveries table's rows, which SQLite and PostgreSQL lay out alike, as the store interface
// gives them. Only the headers differ: SQLite keeps their JSON text, PostgreSQL a json value the
// driver has already parsed; each store passes them in decoded.
import type { CodeHostKind } from "../ingest";
import type { DeadDelivery, DeadSummary, DeliveryRecord, StoredDelivery } from "./store";

/** A pending or dead row, which keeps its headers and body; `H` is how the database hands the headers over. */
export interface DeliveryRow<H> {
  id: number;
  receiver_uuid: string;
  kind: string;
  event: string;
  delivery_id: string | null;
  hook_id: string;
  headers: H;
  body: Buffer;
  received_at: number;
  window_start: number;
  attempts: number;
  last_status: number | null;
  last_error: string | null;
  dead_reason: string | null;
  dead_at: number | null;
  signature: string | null;
  signature_secret: string | null;
}

export function toDelivery<H>(r: DeliveryRow<H>, headers: Record<string, string>): StoredDelivery {
  return {
    id: r.id,
    receiverUuid: r.receiver_uuid,
    kind: r.kind as CodeHostKind,
    event: r.event,
    ...(r.delivery_id !== null ? { deliveryId: r.delivery_id } : {}),
    ...(r.hook_id !== "" ? { hookId: r.hook_id } : {}),
    headers,
    body: r.body,
    receivedAt: r.received_at,
    windowStart: r.window_start,
    attempts: r.attempts,
    ...(r.signature !== null && r.signature_secret !== null
      ? { signature: { value: r.signature, secret: r.signature_secret } }
      : {}),
  };
}

export function toDead<H>(r: DeliveryRow<H>, headers: Record<string, string>): DeadDelivery {
  return {
    ...toDelivery(r, headers),
    reason: r.dead_reason ?? "unknown",
    ...(r.last_status !== null ? { lastStatus: r.last_status } : {}),
    ...(r.last_error !== null ? { lastError: r.last_error } : {}),
    deadAt: r.dead_at ?? 0,
  };
}

/** A dead letter as `dlq purge` reports it: its body's size, never the body. */
export interface SummaryRow {
  id: number;
  receiver_uuid: string;
  kind: string;
  event: string;
  delivery_id: string | null;
  dead_reason: string | null;
  dead_at: number | null;
  bytes: number;
}

export function toSummary(r: SummaryRow): DeadSummary {
  return {
    id: r.id,
    receiverUuid: r.receiver_uuid,
    kind: r.kind as CodeHostKind,
    event: r.event,
    ...(r.delivery_id !== null ? { deliveryId: r.delivery_id } : {}),
    reason: r.dead_reason ?? "unknown",
    deadAt: r.dead_at ?? 0,
    bytes: r.bytes,
  };
}

/** Any row as a record: no headers, no body. */
export interface RecordRow {
  id: number;
  receiver_uuid: string;
  kind: string;
  event: string;
  delivery_id: string | null;
  hook_id: string;
  state: "pending" | "delivered" | "ignored" | "dead";
  attempts: number;
  last_status: number | null;
  last_error: string | null;
  last_attempt_at: number | null;
  received_at: number;
  settled_at: number | null;
  dead_reason: string | null;
}

export function toRecord(r: RecordRow): DeliveryRecord {
  return {
    id: r.id,
    receiverUuid: r.receiver_uuid,
    kind: r.kind as CodeHostKind,
    event: r.event,
    ...(r.delivery_id !== null ? { deliveryId: r.delivery_id } : {}),
    ...(r.hook_id !== "" ? { hookId: r.hook_id } : {}),
    state: r.state === "dead" && r.dead_reason === "expired" ? "expired" : r.state,
    attempts: r.attempts,
    ...(r.last_status !== null ? { lastStatus: r.last_status } : {}),
    ...(r.last_error !== null ? { lastError: r.last_error } : {}),
    ...(r.last_attempt_at !== null ? { lastAttemptAt: r.last_attempt_at } : {}),
    receivedAt: r.received_at,
    ...(r.settled_at !== null ? { settledAt: r.settled_at } : {}),
    ...(r.state === "dead" && r.dead_reason !== null ? { reason: r.dead_reason } : {}),
  };
}
