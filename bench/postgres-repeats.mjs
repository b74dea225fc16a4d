// The PostgreSQL drill's reading of what Sourcegraph's stand-in received (bench/drill-postgres.mjs):
// which deliveries were sent to it more than once, why, and whether two relays ever had one in
// flight at the same time. Pure functions over the stand-in's report, the drill's timeline and the
// relays' logs, so the reasoning can be read apart from the processes.

/**
 * Why a delivery Sourcegraph had accepted was sent again, in the order they are looked for: a kill
 * first (a fact of the drill), then what the relay logged about that delivery (a failed
 * settlement, a lost claim: a claim reported lost at a heartbeat may also be one whose settlement
 * committed meanwhile), then the drill's other faults by time. Each names an at-least-once path the
 * relay documents; anything else is unexplained.
 */
export const CAUSES = {
  kill: "its relay was killed with SIGKILL after Sourcegraph answered, before its settlement committed; sent again once its lease ended",
  settle:
    "the relay could not write its settlement while PostgreSQL was away (logged); sent again once its lease ended",
  deadlock:
    "PostgreSQL refused the relay's settlement with a deadlock (logged); sent again once its lease ended",
  lease: "its claim's lease ended before the relay settled it (the relay logged it)",
  outage: "the stand-in went down as it answered: the relay saw a cut connection and retried",
  postgres:
    "answered while PostgreSQL restarted: its settlement could not commit; sent again once its lease ended",
  unexplained: "none of the above: a second relay sent it while the first still held it",
};

/**
 * `forwards`: every forwarding request that reached the stand-in's handler, as
 * `{ id, slot, status, at }` (`slot`: the relay, told apart by the stand-in port it forwards to;
 * `at`: ms since the epoch when the request had arrived). Each was in flight at the stand-in from
 * `at` until its answer `latencyMs` later.
 * `kills`: `[{ slot, at }]`; `downs`: the times the stand-in went down; `postgres`: `{ from, to }`,
 * the restart's window; `logged`: Map deliveryId → [{ cause, slot, at }], what the relays' logs
 * say about it (see readClaimLogs).
 * Returns the repeats (a forwarding request after one Sourcegraph accepted) with their cause, and
 * the overlaps (two relays' requests for one delivery in flight at once), each with `leaseEnded`
 * when the first relay logged that its claim on that delivery ended: the one case where two relays
 * may both hold it.
 */
export function readRepeats({ forwards, latencyMs, kills, downs, postgres, logged }) {
  const byId = new Map();
  for (const f of forwards) {
    if (!byId.has(f.id)) byId.set(f.id, []);
    byId.get(f.id).push(f);
  }
  const repeats = [];
  const overlaps = [];
  for (const [id, list] of byId) {
    if (list.length < 2) continue;
    list.sort((a, b) => a.at - b.at);
    for (let i = 1; i < list.length; i++) {
      for (let j = i - 1; j >= 0 && list[j].at + latencyMs > list[i].at; j--) {
        if (list[j].slot === list[i].slot) continue;
        const leaseEnded = said(id, list[j], list[i]).includes("lease");
        overlaps.push({ id, first: list[j], second: list[i], leaseEnded });
      }
    }
    let accepted;
    for (const f of list) {
      if (accepted) repeats.push({ id, first: accepted, again: f, cause: causeOf(id, accepted, f) });
      if (f.status >= 200 && f.status < 300) accepted = f;
    }
  }
  return { repeats, overlaps };

  /** What the first relay's log says about the delivery, from its forward until the repeat. */
  function said(id, first, again) {
    return (logged.get(id) ?? [])
      .filter((l) => l.slot === first.slot && l.at >= first.at - 1000 && l.at <= again.at + 1000)
      .map((l) => l.cause);
  }

  function causeOf(id, first, again) {
    if (kills.some((k) => k.slot === first.slot && k.at >= first.at - 1000 && k.at <= again.at)) {
      return "kill";
    }
    const causes = said(id, first, again);
    if (causes.includes("settle")) return "settle";
    if (causes.includes("deadlock")) return "deadlock";
    if (causes.includes("lease")) return "lease";
    if (downs.some((d) => d >= first.at - 100 && d <= first.at + latencyMs + 1000)) return "outage";
    if (postgres && first.at >= postgres.from - 1000 && first.at <= postgres.to + 1000) return "postgres";
    return "unexplained";
  }
}

/**
 * What the relays' logs (pino JSON lines, one text per relay slot, in slot order) say about claims:
 * deliveryId → [{ cause, slot, at }], where cause is "lease" (a claim that ended before it was
 * settled, or was lost at a heartbeat), "settle" (a forward whose settlement failed, PostgreSQL
 * away) or "deadlock" (one PostgreSQL refused as a deadlock), and `at` the line's time. The heartbeat's and the failure's lines name the row's `id`: `rowToDelivery`
 * maps those to delivery IDs.
 */
export function readClaimLogs(texts, rowToDelivery) {
  const logged = new Map();
  const counts = { lease: 0, settle: 0, deadlock: 0, renewFailed: 0 };
  /** When each kind was logged (ms since the epoch), for the report to say when claims were lost. */
  const times = { heartbeat: [], settledLate: [], settle: [], deadlock: [], renewFailed: [] };
  texts.forEach((text, slot) => {
    const note = (deliveryId, cause, at) => {
      if (!deliveryId) return;
      if (!logged.has(deliveryId)) logged.set(deliveryId, []);
      logged.get(deliveryId).push({ cause, slot, at });
    };
    for (const line of text.split("\n")) {
      if (!line.startsWith("{")) continue;
      let entry;
      try {
        entry = JSON.parse(line);
      } catch {
        continue;
      }
      const msg = String(entry.msg ?? "");
      if (msg.startsWith("the delivery's claim ended before it was settled")) {
        counts.lease++;
        times.settledLate.push(entry.time);
        note(entry.deliveryId, "lease", entry.time);
      } else if (msg.startsWith("lost the claim on a delivery")) {
        counts.lease++;
        times.heartbeat.push(entry.time);
        note(rowToDelivery.get(String(entry.id)), "lease", entry.time);
      } else if (msg.startsWith("forwarding failed unexpectedly")) {
        const deadlock = /deadlock detected/.test(String(entry.err?.message ?? ""));
        counts[deadlock ? "deadlock" : "settle"]++;
        times[deadlock ? "deadlock" : "settle"].push(entry.time);
        note(rowToDelivery.get(String(entry.id)), deadlock ? "deadlock" : "settle", entry.time);
      } else if (msg.startsWith("renewing the relay's claims failed")) {
        counts.renewFailed++;
        times.renewFailed.push(entry.time);
      }
    }
  });
  return { logged, counts, times };
}
