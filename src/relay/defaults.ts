// Every default of the relay in one typed object, read by `sg-webhooks serve` (its flags' defaults
// and help text) and by the relay itself (startRelay, the forwarder, the intake limits), so that
// a default is written once.
import type { IntakeLimits } from "./intake-limits";
import { type LogLevel, parseDuration } from "./options";

/** A default duration: in milliseconds for the relay, and as the flag value the CLI shows and parses. */
export interface DefaultDuration {
  readonly ms: number;
  /** Such as `24h`: what `--max-age` shows as its default. */
  readonly text: string;
}

export interface RelayDefaults extends IntakeLimits {
  /** `--listen`: where code hosts deliver (and /healthz, /readyz). */
  readonly listen: string;
  /** `--admin-listen`: the Prometheus /metrics listener. */
  readonly adminListen: string;
  /** `--max-body-bytes`: 25 MB, GitHub's and GitLab's payload cap; larger deliveries are answered 413. */
  readonly maxBodyBytes: number;
  /** `--max-age`: how long a delivery is retried before it goes to the dead-letter store. */
  readonly maxAge: DefaultDuration;
  /** `--retry-base`: the first retry delay (it doubles, with jitter). */
  readonly retryBase: DefaultDuration;
  /** `--retry-max-delay`: the longest delay between two attempts. */
  readonly retryMaxDelay: DefaultDuration;
  /** `--forward-timeout`: the timeout of one forwarding request. */
  readonly forwardTimeout: DefaultDuration;
  /** `--concurrency`: deliveries forwarded at once. */
  readonly concurrency: number;
  /**
   * `--dedupe-window`: how long the record of a delivered or ignored delivery, and so its delivery
   * ID, is kept after it is settled; a redelivery within it is dropped. Pending deliveries and dead
   * letters keep theirs until they are settled, replayed or purged.
   */
  readonly dedupeWindow: DefaultDuration;
  /** `--shutdown-grace`: how long shutdown may finish requests in progress and forward what is due. */
  readonly shutdownGrace: DefaultDuration;
  /** `--refresh-interval`: how often receivers are read again from Sourcegraph. */
  readonly refreshInterval: DefaultDuration;
  /** `--rotation-grace`: how long a secret replaced in Sourcegraph stays valid at the relay. */
  readonly rotationGrace: DefaultDuration;
  /** `--log-level`. */
  readonly logLevel: LogLevel;
  /**
   * `--lease`: how long a relay's claim on a delivery holds without being renewed; a relay that
   * stops renewing (killed, frozen, cut off) loses its deliveries to the others after this.
   */
  readonly lease: DefaultDuration;
  /** How often the forwarder looks for deliveries made due by another process (`dlq replay`). */
  readonly poll: DefaultDuration;
  /** How often the records settled longer ago than the dedupe window are pruned. */
  readonly pruneInterval: DefaultDuration;
}

function duration(text: string): DefaultDuration {
  return Object.freeze({ ms: parseDuration(text, "a default"), text });
}

export const RELAY_DEFAULTS = Object.freeze({
  listen: "127.0.0.1:8080",
  adminListen: "127.0.0.1:9464",
  maxBodyBytes: 25 * 1024 * 1024,
  maxUnverifiedBytes: 64 * 1024 * 1024,
  maxConnections: 1024,
  // Lenient: a genuine delivery's body comes in one go from a data centre. Node's request timeout
  // (60 s for the whole request) is stricter for a large body.
  minBodyRate: 10 * 1024,
  minBodyRateGraceMs: 5000,
  maxAge: duration("24h"),
  retryBase: duration("1s"),
  retryMaxDelay: duration("5m"),
  forwardTimeout: duration("30s"),
  concurrency: 8,
  dedupeWindow: duration("7d"),
  shutdownGrace: duration("10s"),
  refreshInterval: duration("60s"),
  rotationGrace: duration("1h"),
  logLevel: "info",
  // Longer than --forward-timeout, so that a forward outlives its lease only when heartbeats stop.
  lease: duration("60s"),
  poll: duration("1s"),
  pruneInterval: duration("1h"),
} satisfies RelayDefaults);
