// The deliveries table's rows as the store interface speaks of them, and the filters of the
// dead-letter commands and of `records` as SQL conditions with their parameters.
import type { DeadDelivery, DeadFilter, DeliveryState, RecordFilter, StoredDelivery } from "../store";
import * as rows from "../store-rows";

export { type RecordRow, type SummaryRow, toRecord, toSummary } from "../store-rows";

/** The columns of a pending or dead row that the interface returns (headers and body included). */
export const DELIVERY_COLUMNS = `id, receiver_uuid, kind, event, delivery_id, hook_id, headers, body,
  received_at, window_start, attempts, next_attempt_at, last_status, last_error, dead_reason, dead_at,
  signature, signature_secret`;

/** A pending or dead row: the driver hands its json headers over parsed. */
export interface DeliveryRow extends rows.DeliveryRow<Record<string, string>> {
  next_attempt_at: number;
}

export const toDelivery = (r: DeliveryRow): StoredDelivery => rows.toDelivery(r, r.headers);

export const toDead = (r: DeliveryRow): DeadDelivery => rows.toDead(r, r.headers);

export const SUMMARY_COLUMNS =
  "id, receiver_uuid, kind, event, delivery_id, dead_reason, dead_at, coalesce(octet_length(body), 0) AS bytes";

export const RECORD_COLUMNS = `id, receiver_uuid, kind, event, delivery_id, hook_id, state, attempts, last_status,
  last_error, last_attempt_at, received_at, settled_at, dead_reason`;

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
