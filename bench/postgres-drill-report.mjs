// The PostgreSQL drill's figures (bench/drill-postgres.mjs): what became of every delivery ID sent,
// counted from what Sourcegraph's stand-in received, the dead letters, the table's rows and the
// relays' logs; printed as a table and the checks, met or MISSED.
import { CAUSES, readClaimLogs, readRepeats } from "./postgres-repeats.mjs";

/**
 * `run` holds the drill's settings (rate, relays, loadSeconds, lease, latencyMs, outageSeconds,
 * maxInflight, orphan, postgresVersion) and what it recorded: sent (delivery ID → { target, uuid,
 * sha }), acked, refused, skipped, perSlot, report (the stand-in's), dead (`dlq list --json`), rows
 * (id, delivery_id, state, claim_id), logs (one text per relay), kills, downs, pgWindow,
 * pgReadiness, exits, depths, queuedAtEnd, stops, drainSeconds, drillSeconds, loadEpoch, timeline.
 * Prints the figures; returns whether every check was met, and the figures as JSON.
 */
export function reportDrill(run) {
  const {
    rate,
    relays,
    loadSeconds,
    lease,
    latencyMs,
    outageSeconds,
    maxInflight,
    orphan,
    postgresVersion,
    sent,
    acked,
    refused,
    skipped,
    perSlot,
    report,
    dead,
    rows,
    logs,
    kills,
    downs,
    pgWindow,
    pgReadiness,
    exits,
    depths,
    queuedAtEnd,
    stops,
    drainSeconds,
    drillSeconds,
    loadEpoch,
    timeline,
  } = run;

  const times = new Map();
  let mismatched = 0;
  for (const [id, uuid, digest] of report.accepted) {
    const s = sent.get(id);
    if (!s || s.uuid !== uuid || s.sha !== digest) mismatched++;
    times.set(id, (times.get(id) ?? 0) + 1);
  }
  const deadIds = new Set(dead.map((d) => d.deliveryId));
  const lost = [...acked].filter((id) => !times.has(id) && !deadIds.has(id));
  const duplicates = [...times.values()].reduce((sum, n) => sum + n - 1, 0);
  const forwardedUnacked = [...times.keys()].filter((id) => !acked.has(id)).length;
  const unexpectedDead = dead.filter((d) => d.receiver !== orphan || d.reason !== "unknown_receiver");
  const claimedAtEnd = rows.filter((r) => r.claim_id !== null).length;
  const byTarget = (target) => [...sent.values()].filter((s) => s.target === target).length;
  const byReason = {};
  for (const d of dead) byReason[d.reason] = (byReason[d.reason] ?? 0) + 1;

  const rowToDelivery = new Map(rows.map((r) => [r.id, r.delivery_id]));
  const claimLogs = readClaimLogs(logs, rowToDelivery);
  const forwards = report.seen.map(([id, , , , status, arrived, slot]) => ({
    id,
    slot,
    status,
    at: arrived,
  }));
  const { repeats, overlaps } = readRepeats({
    forwards,
    latencyMs,
    kills,
    downs,
    postgres: pgWindow,
    logged: claimLogs.logged,
  });
  const byCause = {};
  for (const r of repeats) byCause[r.cause] = (byCause[r.cause] ?? 0) + 1;
  const crossRelay = repeats.filter((r) => r.first.slot !== r.again.slot).length;
  const overlapsInLease = overlaps.filter((o) => !o.leaseEnded);
  const acceptedBySlot = Array.from(
    { length: relays },
    (_, slot) => report.accepted.filter((a) => a[4] === slot).length,
  );
  const peak = Math.max(0, ...depths.filter((d) => d !== null));

  const checks = [
    [lost.length === 0, `every acknowledged delivery forwarded or dead-lettered: ${lost.length} lost`],
    [mismatched === 0, `every forwarded body byte-identical to the one sent (sha256): ${mismatched} differ`],
    [
      report.badSignature === 0,
      `every forwarded delivery correctly signed: ${report.badSignature} refused by the stand-in`,
    ],
    [
      unexpectedDead.length === 0,
      `dead letters only for the receiver Sourcegraph lacks: ${unexpectedDead.length} others`,
    ],
    [
      overlapsInLease.length === 0,
      `no delivery in flight from two relays at once outside a lease expiry: ${overlapsInLease.length} (${overlaps.length - overlapsInLease.length} after a logged lease expiry)`,
    ],
    [
      (byCause.unexplained ?? 0) === 0,
      `every repeat explained by a kill, a cut connection, PostgreSQL's restart, a deadlock or a lease expiry: ${byCause.unexplained ?? 0} unexplained`,
    ],
    [
      pgReadiness.length > 0 && pgReadiness.every((r) => r.saw503),
      `every relay up when PostgreSQL went down answered /readyz 503 meanwhile: ${pgReadiness.filter((r) => r.saw503).length} of ${pgReadiness.length}`,
    ],
    [
      pgReadiness.length > 0 && pgReadiness.every((r) => r.samePid && r.backAfterMs !== undefined),
      `and was ready again once it was back, without a restart of its own: ${pgReadiness.filter((r) => r.samePid && r.backAfterMs !== undefined).length} of ${pgReadiness.length}`,
    ],
    [
      exits.length === 0,
      `no relay ended by itself: ${exits.length}${exits.map((e) => `; relay ${e.slot + 1} at t=${((e.at - loadEpoch) / 1000).toFixed(1)} (${e.code ?? e.signal}: ${e.why})`).join("")}`,
    ],
  ];
  const ok = checks.every(([met]) => met);

  const result = {
    part: "postgres-drill",
    rate: rate,
    loadSeconds: loadSeconds,
    lease: lease,
    sent: sent.size,
    skipped,
    acknowledged: acked.size,
    notAcknowledged: sent.size - acked.size,
    refused,
    forwarded: times.size,
    deadLettered: dead.length,
    lost: lost.length,
    duplicatesForwarded: duplicates,
    repeatsByCause: byCause,
    repeatsAcrossRelays: crossRelay,
    overlaps: overlaps.length,
    overlapsOutsideLeaseExpiry: overlapsInLease.length,
    exits,
    forwardedButNotAcknowledged: forwardedUnacked,
    bodiesDiffering: mismatched,
    signaturesRefused: report.badSignature,
    unexpectedDeadLetters: unexpectedDead.length,
    claimLogs: claimLogs.counts,
    pgReadiness: pgReadiness.map(({ relay, ...r }) => r),
    perSlot: perSlot.map((s, slot) => ({ ...s, forwardedAccepted: acceptedBySlot[slot] })),
    queuedAtEnd,
    claimedAtEnd,
    queuePeak: peak,
    stoppedCleanly: stops.map((s) => s.clean),
    drainSeconds: Number(drainSeconds.toFixed(1)),
    drillSeconds: Number(drillSeconds.toFixed(1)),
    timeline,
  };

  const row = (label, value, note = "") =>
    console.log(`  ${label.padEnd(38)}${String(value).padStart(8)}  ${note}`);
  const list = (o) =>
    Object.entries(o)
      .map(([k, v]) => `${k} ${v}`)
      .join(", ");
  const secondsIn = (ms) => ((ms - loadEpoch) / 1000).toFixed(1);
  /** How many, and the seconds of the load they fell in (each second once). */
  const when = (times) => {
    if (times.length === 0) return "0";
    const seconds = [...new Set(times.map((t) => Math.floor((t - loadEpoch) / 1000)))].sort((x, y) => x - y);
    return `${times.length} (t=${seconds.slice(0, 6).join(",")}${seconds.length > 6 ? ",…" : ""})`;
  };
  console.log(
    `\nPostgreSQL fault drill: ${rate} deliveries/s over ${relays} relays for ${loadSeconds} s, one PostgreSQL ${postgresVersion} (fsync=on), --lease ${lease};` +
      `\nreceiver 30% 5xx and ${outageSeconds} s refused; two relays kill -9; PostgreSQL restarted (fast)\n`,
  );
  console.log("  timeline (seconds from the start of the load)");
  for (const e of timeline) console.log(`  t=${e.t.toFixed(1).padStart(5)}  ${e.event}`);
  console.log("");
  row(
    "deliveries sent",
    sent.size,
    `github ${byTarget("github")}, gitlab ${byTarget("gitlab")}, to the receiver Sourcegraph lacks ${byTarget("misconfigured")}${skipped ? `; ${skipped} not sent (${maxInflight} in flight)` : ""}`,
  );
  row("acknowledged (2xx from a relay)", acked.size);
  row("not acknowledged", sent.size - acked.size, list(refused) || "-");
  row("forwarded (distinct IDs accepted)", times.size, `of which not acknowledged: ${forwardedUnacked}`);
  row("dead-lettered", dead.length, list(byReason) || "-");
  row(
    "lost (acknowledged, neither)",
    lost.length,
    lost.length ? `e.g. ${lost.slice(0, 3).join(", ")}` : "must be 0",
  );
  row(
    "duplicates forwarded",
    duplicates,
    `${repeats.length} repeat(s) after an accepted forward, ${crossRelay} by another relay; by cause: ${list(byCause) || "-"}`,
  );
  // Two of each cause, the first ones: when the delivery was accepted, and when it came again.
  for (const cause of Object.keys(byCause)) {
    for (const r of repeats.filter((x) => x.cause === cause).slice(0, 2)) {
      console.log(
        `    ${cause.padEnd(11)} ${r.id.slice(0, 8)}  accepted via relay ${r.first.slot + 1} at t=${secondsIn(r.first.at)}, again via relay ${r.again.slot + 1} at t=${secondsIn(r.again.at)} (+${((r.again.at - r.first.at) / 1000).toFixed(1)} s)`,
      );
    }
  }
  row(
    "in flight from two relays at once",
    overlaps.length,
    `${overlapsInLease.length} without a logged lease expiry (must be 0)`,
  );
  row("forwarded bodies that differ", mismatched, "must be 0");
  row("signatures refused by receiver", report.badSignature, "must be 0");
  row("unexpected dead letters", unexpectedDead.length, "must be 0");
  row(
    "claims the relays logged as lost",
    claimLogs.counts.lease,
    [
      `at a heartbeat ${when(claimLogs.times.heartbeat)}`,
      `when settling ${when(claimLogs.times.settledLate)}`,
      `settlements that failed ${when(claimLogs.times.settle)}`,
      `settlements refused as deadlocks ${when(claimLogs.times.deadlock)}`,
      `renewals that failed ${when(claimLogs.times.renewFailed)}`,
    ].join("; "),
  );
  row("still pending after the drain", queuedAtEnd, `rows still claimed: ${claimedAtEnd}`);
  row(
    "queue depth, peak",
    peak,
    `at t=${depths.indexOf(peak) + 1}; every 5 s: ${depths
      .filter((_, i) => (i + 1) % 5 === 0)
      .map((d) => d ?? "-")
      .join(" ")}`,
  );
  row("drain (s)", drainSeconds.toFixed(1));
  row("whole drill (s)", drillSeconds.toFixed(1));
  row("receiver answers", "", list(report.statuses));
  console.log("");
  console.log(
    "  relay  sent to it  acknowledged  503 while PostgreSQL was down  forwarded (2xx at its stand-in port)",
  );
  perSlot.forEach((s, slot) => {
    console.log(
      `  ${String(slot + 1).padStart(5)}  ${String(s.sent).padStart(10)}  ${String(s.acked).padStart(12)}  ${String(s.refused503WhilePgDown).padStart(29)}  ${String(acceptedBySlot[slot]).padStart(36)}`,
    );
  });
  console.log("");
  for (const [met, what] of checks) console.log(`${met ? "met   " : "MISSED"} ${what}`);
  console.log("\nCauses of repeats:");
  for (const [key, text] of Object.entries(CAUSES)) console.log(`  ${key.padEnd(11)} ${text}`);
  console.log(`\nRESULT ${JSON.stringify(result)}`);

  return { ok, result };
}
