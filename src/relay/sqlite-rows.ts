// The SQLite store's rows as the store interface gives them, and the WHERE clauses of its filters.
import type { DeadDelivery, DeadFilter, DeliveryState, RecordFilter, StoredDelivery } from "./store";
import * as rows from "./store-rows";

export { type RecordRow, type SummaryRow, toRecord, toSummary } from "./store-rows";

/** A pending or dead row: SQLite keeps its headers as JSON text. */
export type Row = rows.DeliveryRow<string>;

export const toDelivery = (r: Row): StoredDelivery => rows.toDelivery(r, JSON.parse(r.headers));

export const toDead = (r: Row): DeadDelivery => rows.toDead(r, JSON.parse(r.headers));

/** Each state a record can be in, as a condition on its row. */
const STATE_WHERE: Readonly<Record<DeliveryState, string>> = {
  pending: "state = 'pending'",
  delivered: "state = 'delivered'",
  ignored: "state = 'ignored'",
  dead: "(state = 'dead' AND dead_reason IS NOT 'expired')",
  expired: "(state = 'dead' AND dead_reason = 'expired')",
};

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
