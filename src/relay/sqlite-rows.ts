// The SQLite store's rows as the store interface gives them, and the WHERE clauses of its filters.
import type { CodeHostKind } from "../ingest";
import type {
  DeadDelivery,
  DeadFilter,
  DeadSummary,
  DeliveryRecord,
  DeliveryState,
  RecordFilter,
  StoredDelivery,
} from "./store";

/** A pending or dead row: those keep their headers and body. */
export interface Row {
  id: number;
  receiver_uuid: string;
  kind: string;
  event: string;
  delivery_id: string | null;
  hook_id: string;
  headers: string;
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

export function toDelivery(r: Row): StoredDelivery {
  return {
    id: r.id,
    receiverUuid: r.receiver_uuid,
    kind: r.kind as CodeHostKind,
    event: r.event,
    ...(r.delivery_id !== null ? { deliveryId: r.delivery_id } : {}),
    ...(r.hook_id !== "" ? { hookId: r.hook_id } : {}),
    headers: JSON.parse(r.headers),
    body: r.body,
    receivedAt: r.received_at,
    windowStart: r.window_start,
    attempts: r.attempts,
    ...(r.signature !== null && r.signature_secret !== null
      ? { signature: { value: r.signature, secret: r.signature_secret } }
      : {}),
  };
}

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

/** Each state a record can be in, as a condition on its row. */
const STATE_WHERE: Readonly<Record<DeliveryState, string>> = {
  pending: "state = 'pending'",
  delivered: "state = 'delivered'",
  ignored: "state = 'ignored'",
  dead: "(state = 'dead' AND dead_reason IS NOT 'expired')",
  expired: "(state = 'dead' AND dead_reason = 'expired')",
};

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

/** The conditions of a records filter, and their parameters. */
export function recordsWhere(filter: RecordFilter): { sql: string; params: unknown[] } {
  const terms: string[] = [];
  const params: unknown[] = [];
  if (filter.receiverUuid !== undefined) {
    terms.push("receiver_uuid = ?");
    params.push(filter.receiverUuid);
  }
  if (filter.deliveryId !== undefined) {
    terms.push("delivery_id = ?");
    params.push(filter.deliveryId);
  }
  if (filter.since !== undefined) {
    terms.push("received_at >= ?");
    params.push(filter.since);
  }
  if (filter.states !== undefined) {
    const states = filter.states.map((state) => {
      const where = STATE_WHERE[state];
      if (where === undefined) {
        throw new Error(`unknown delivery state "${state}"; one of ${Object.keys(STATE_WHERE).join(", ")}`);
      }
      return where;
    });
    terms.push(states.length > 0 ? `(${states.join(" OR ")})` : "0");
  }
  return { sql: terms.length > 0 ? ` WHERE ${terms.join(" AND ")}` : "", params };
}

/** The condition a filter adds to `state = 'dead'`, and its parameters. */
export function deadWhere(filter: DeadFilter): { sql: string; params: unknown[] } {
  if (filter === "all") return { sql: "", params: [] };
  if ("ids" in filter)
    return { sql: " AND id IN (SELECT value FROM json_each(?))", params: [JSON.stringify(filter.ids)] };
  if ("receiverUuid" in filter) return { sql: " AND receiver_uuid = ?", params: [filter.receiverUuid] };
  return { sql: " AND dead_at < ?", params: [filter.deadBefore] };
}

export function toDead(r: Row): DeadDelivery {
  return {
    ...toDelivery(r),
    reason: r.dead_reason ?? "unknown",
    ...(r.last_status !== null ? { lastStatus: r.last_status } : {}),
    ...(r.last_error !== null ? { lastError: r.last_error } : {}),
    deadAt: r.dead_at ?? 0,
  };
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
