// `dlq replay`: dead letters back in the queue, free and due now, with a fresh retry window. With a
// retarget their dedupe keys move to the new receiver, where the unique index allows each key once:
// a dead letter whose key the new receiver already holds (or another dead letter moved in the same
// replay took) stays dead, since the new receiver has that delivery already.
import type { DeadFilter, Retarget } from "../store";
import type { Query } from "./insert-batch";
import type { Names } from "./names";
import { deadWhere } from "./rows";

/** Replays in one transaction on the connection behind `query`; resolves with how many were queued. */
export async function replayDead(
  query: Query,
  n: Names,
  filter: DeadFilter,
  now: number,
  retarget?: Retarget,
): Promise<number> {
  const where = deadWhere(filter, 1);
  await query("BEGIN", []);
  const kind = retarget ? ` AND kind = $${where.params.length + 1}` : "";
  const candidates = await query<{
    id: number;
    receiver_uuid: string;
    delivery_id: string | null;
    hook_id: string;
  }>(
    `SELECT id, receiver_uuid, delivery_id, hook_id FROM ${n.deliveries} WHERE state = 'dead'${where.sql}${kind}
     ORDER BY id FOR UPDATE`,
    [...where.params, ...(retarget ? [retarget.kind] : [])],
  );
  let ids = candidates.map((c) => c.id);
  if (retarget) {
    const keyed = candidates.filter((c) => c.delivery_id !== null);
    const moving = new Set(ids);
    const taken = new Set(
      (
        await query<{ id: number; delivery_id: string; hook_id: string }>(
          `SELECT id, delivery_id, hook_id FROM ${n.deliveries}
           WHERE receiver_uuid = $1 AND (delivery_id, hook_id) IN (SELECT * FROM unnest($2::text[], $3::text[]))`,
          [retarget.receiverUuid, keyed.map((c) => c.delivery_id), keyed.map((c) => c.hook_id)],
        )
      )
        // A row moving away frees its key; one staying (not replayed) keeps it.
        .filter((r) => !moving.has(r.id))
        .map((r) => JSON.stringify([r.delivery_id, r.hook_id])),
    );
    // Those at the new receiver already keep their keys whatever happens, so they choose first.
    const target = retarget.receiverUuid;
    const order = [
      ...candidates.filter((c) => c.receiver_uuid === target),
      ...candidates.filter((c) => c.receiver_uuid !== target),
    ];
    ids = order
      .flatMap((c) => {
        if (c.delivery_id === null) return [c.id];
        const key = JSON.stringify([c.delivery_id, c.hook_id]);
        if (taken.has(key)) return [];
        taken.add(key);
        return [c.id];
      })
      .sort((a, b) => a - b);
  }
  const updated =
    ids.length === 0
      ? []
      : await query<{ id: number }>(
          `UPDATE ${n.deliveries} SET state = 'pending', attempts = 0, window_start = $2, next_attempt_at = $2,
             dead_reason = NULL, dead_at = NULL, settled_at = NULL, receiver_uuid = coalesce($3, receiver_uuid)
           WHERE id = ANY($1::bigint[]) AND state = 'dead'
           RETURNING id`,
          [ids, now, retarget?.receiverUuid ?? null],
        );
  await query("COMMIT", []);
  return updated.length;
}
