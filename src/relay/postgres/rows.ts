// The deliveries table's rows as the store interface speaks of them, and the filters of the
// dead-letter commands and of `records` as SQL conditions with their parameters.
import type { CodeHostKind } from "../../ingest";
import type {
  DeadDelivery,
  DeadFilter,
  DeadSummary,
  DeliveryRecord,
  DeliveryState,
  RecordFilter,
  StoredDelivery,
} from "../store";

/** The columns of a pending or dead row that the interface returns (headers and body included). */
export const DELIVERY_COLUMNS = `id, receiver_uuid, kind, event, delivery_id, hook_id, headers, body,
  received_at, window_start, attempts, next_attempt_at, last_status, last_error, dead_reason, dead_at,
  signature, signature_secret`;

export interface DeliveryRow {
  id: number;
  receiver_uuid: string;
  kind: string;
  event: string;
  delivery_id: string | null;
  hook_id: string;
  headers: Record<string, string>;
  body: Buffer;
  received_at: number;
  window_start: number;
  attempts: number;
  next_attempt_at: number;
  last_status: number | null;
  last_error: string | null;
  dead_reason: string | null;
  dead_at: number | null;
  signature: string | null;
  signature_secret: string | null;
}

export function toDelivery(r: DeliveryRow): StoredDelivery {
  return {
    id: r.id,
    receiverUuid: r.receiver_uuid,
    kind: r.kind as CodeHostKind,
    event: r.event,
    ...(r.delivery_id !== null ? { deliveryId: r.delivery_id } : {}),
    ...(r.hook_id !== "" ? { hookId: r.hook_id } : {}),
    headers: r.headers,
    body: r.body,
    receivedAt: r.received_at,
    windowStart: r.window_start,
    attempts: r.attempts,
    ...(r.signature !== null && r.signature_secret !== null
      ? { signature: { value: r.signature, secret: r.signature_secret } }
      : {}),
  };
}

export function toDead(r: DeliveryRow): DeadDelivery {
  return {
    ...toDelivery(r),
    reason: r.dead_reason ?? "unknown",
    ...(r.last_status !== null ? { lastStatus: r.last_status } : {}),
    ...(r.last_error !== null ? { lastError: r.last_error } : {}),
    deadAt: r.dead_at ?? 0,
  };
}

export const SUMMARY_COLUMNS =
  "id, receiver_uuid, kind, event, delivery_id, dead_reason, dead_at, coalesce(octet_length(body), 0) AS bytes";

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

export const RECORD_COLUMNS = `id, receiver_uuid, kind, event, delivery_id, hook_id, state, attempts, last_status,
  last_error, last_attempt_at, received_at, settled_at, dead_reason`;

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

/** SQL conditions and their parameters, numbered from `first`. */
export interface Where {
  readonly sql: string;
  readonly params: unknown[];
}

/** Each state a record can be in, as a condition on its row. */
const STATE_WHERE: Readonly<Record<DeliveryState, string>> = {
  pending: "state = 'pending'",
  delivered: "state = 'delivered'",
  ignored: "state = 'ignored'",
  dead: "(state = 'dead' AND dead_reason IS DISTINCT FROM 'expired')",
  expired: "(state = 'dead' AND dead_reason = 'expired')",
};

/** The conditions of a records filter (`WHERE …` or ''), its parameters numbered from $1. */
export function recordsWhere(filter: RecordFilter): Where {
  const terms: string[] = [];
  const params: unknown[] = [];
  const param = (value: unknown) => {
    params.push(value);
    return `$${params.length}`;
  };
  if (filter.receiverUuid !== undefined) terms.push(`receiver_uuid = ${param(filter.receiverUuid)}`);
  if (filter.deliveryId !== undefined) terms.push(`delivery_id = ${param(filter.deliveryId)}`);
  if (filter.since !== undefined) terms.push(`received_at >= ${param(filter.since)}`);
  if (filter.states !== undefined) {
    const states = filter.states.map((state) => {
      const where = STATE_WHERE[state];
      if (where === undefined) {
        throw new Error(`unknown delivery state "${state}"; one of ${Object.keys(STATE_WHERE).join(", ")}`);
      }
      return where;
    });
    terms.push(states.length > 0 ? `(${states.join(" OR ")})` : "false");
  }
  return { sql: terms.length > 0 ? ` WHERE ${terms.join(" AND ")}` : "", params };
}

/** What a dead-letter filter adds to `state = 'dead'`, its one parameter numbered `$n`. */
export function deadWhere(filter: DeadFilter, n: number): Where {
  if (filter === "all") return { sql: "", params: [] };
  if ("ids" in filter) {
    for (const id of filter.ids) {
      if (!Number.isSafeInteger(id)) throw new Error(`dead letter id ${id} is not a whole number`);
    }
    return { sql: ` AND id = ANY($${n}::bigint[])`, params: [[...filter.ids]] };
  }
  if ("receiverUuid" in filter) return { sql: ` AND receiver_uuid = $${n}`, params: [filter.receiverUuid] };
  return { sql: ` AND dead_at < $${n}`, params: [filter.deadBefore] };
}
