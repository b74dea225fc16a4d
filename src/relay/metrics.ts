import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";

/**
 * The relay's Prometheus metrics, in a registry of their own (several relays may share a process in
 * tests). `unverifiedBytes` reads the bytes held by request bodies not yet verified, `claimsHeld`
 * how many deliveries the forwarder holds a claim on.
 */
export function createMetrics(
  depth: () => Promise<{ pending: number; dead: number }>,
  unverifiedBytes: () => number = () => 0,
  claimsHeld: () => number = () => 0,
) {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const p = "sg_webhooks_relay_";
  const m = {
    registry,
    received: new Counter({
      name: `${p}received_total`,
      help: "Deliveries that reached a known receiver's URL, by code host kind",
      labelNames: ["kind"] as const,
      registers: [registry],
    }),
    rejected: new Counter({
      name: `${p}rejected_total`,
      help: "Requests answered without storing them, or connections refused, by reason (bad_signature, unknown_event, unknown_receiver, malformed_uuid, malformed_body, unsupported_kind, too_large, repeated_header, unsigned_ping, unverified_budget, slow_body, connection_cap, not_ready, store_failed)",
      labelNames: ["reason"] as const,
      registers: [registry],
    }),
    accepted: new Counter({
      name: `${p}accepted_total`,
      help: "Deliveries stored and answered 202",
      labelNames: ["kind"] as const,
      registers: [registry],
    }),
    duplicates: new Counter({
      name: `${p}duplicates_total`,
      help: "Redeliveries of a delivery ID already stored (answered 202, not stored again)",
      labelNames: ["kind"] as const,
      registers: [registry],
    }),
    forwarded: new Counter({
      name: `${p}forwarded_total`,
      help: "Deliveries Sourcegraph answered with success",
      labelNames: ["kind"] as const,
      registers: [registry],
    }),
    ignored: new Counter({
      name: `${p}ignored_total`,
      help: "Deliveries Sourcegraph answered 'unknown event' (done, nothing to retry)",
      labelNames: ["kind"] as const,
      registers: [registry],
    }),
    retried: new Counter({
      name: `${p}retried_total`,
      help: "Forwarding attempts that failed and were scheduled again (5xx, 429, network)",
      labelNames: ["kind"] as const,
      registers: [registry],
    }),
    deadLettered: new Counter({
      name: `${p}dead_lettered_total`,
      help: "Deliveries moved to the dead-letter store, by reason (bad_signature, unknown_receiver, rejected, expired)",
      labelNames: ["reason"] as const,
      registers: [registry],
    }),
    claimsLost: new Counter({
      name: `${p}claims_lost_total`,
      help: "Claims this relay held that the store no longer had (its lease ended and the sweep freed it, or another relay took the delivery), by when it learned so: at a heartbeat (the delivery is dropped here) or when settling (Sourcegraph may receive it twice: at least once)",
      labelNames: ["at"] as const,
      registers: [registry],
    }),
    claimsSwept: new Counter({
      name: `${p}claims_swept_total`,
      help: "Claims freed because their lease ended without a heartbeat (a relay killed or stalled), including those left by this relay's predecessor on its data directory",
      registers: [registry],
    }),
    claimsReleased: new Counter({
      name: `${p}claims_released_total`,
      help: "Claims given back unsent, free for any relay at once: deliveries beyond what the relay holds in memory, and those it held at shutdown",
      registers: [registry],
    }),
    forwardDuration: new Histogram({
      name: `${p}forward_duration_seconds`,
      help: "Time of one forwarding request to Sourcegraph, by result",
      labelNames: ["result"] as const,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [registry],
    }),
  };
  new Gauge({
    name: `${p}queue_depth`,
    help: "Stored deliveries waiting to be forwarded",
    registers: [registry],
    async collect() {
      this.set((await depth()).pending);
    },
  });
  new Gauge({
    name: `${p}dead_letter_depth`,
    help: "Deliveries in the dead-letter store (see sg-webhooks dlq list)",
    registers: [registry],
    async collect() {
      this.set((await depth()).dead);
    },
  });
  new Gauge({
    name: `${p}claims_held`,
    help: "Deliveries this relay holds a claim on: being forwarded, or waiting in memory to be",
    registers: [registry],
    collect() {
      this.set(claimsHeld());
    },
  });
  new Gauge({
    name: `${p}unverified_bytes`,
    help: "Bytes held by request bodies whose signature is not yet checked (bounded by --max-unverified-bytes)",
    registers: [registry],
    collect() {
      this.set(unverifiedBytes());
    },
  });
  return m;
}

export type RelayMetrics = ReturnType<typeof createMetrics>;
