// What a request that is not yet verified may cost the relay (DESIGN section 14): the bytes held
// by unverified bodies, the open connections, and how slowly a body may arrive. Their defaults are
// in RELAY_DEFAULTS.
import { RELAY_DEFAULTS } from "./defaults";

export interface IntakeLimits {
  /** Bytes held at once by bodies whose signature is not yet checked; beyond it, 503 with Retry-After. */
  readonly maxUnverifiedBytes: number;
  /** Open connections on the main listener; sockets beyond it are closed at once. */
  readonly maxConnections: number;
  /** Bytes per second a body must average once its grace period is over, or the request is ended. */
  readonly minBodyRate: number;
  /** How long any body may take before its rate is checked. */
  readonly minBodyRateGraceMs: number;
}

/** Seconds a client refused for the unverified byte budget is asked to wait. */
export const BUDGET_RETRY_AFTER_SECONDS = 1;

/**
 * The limits with their defaults, checked: a budget smaller than the body limit would refuse the
 * largest allowed deliveries forever, with a 503 that promises they may pass later.
 */
export function resolveIntakeLimits(given: Partial<IntakeLimits>, maxBodyBytes: number): IntakeLimits {
  const limits = {
    maxUnverifiedBytes: given.maxUnverifiedBytes ?? RELAY_DEFAULTS.maxUnverifiedBytes,
    maxConnections: given.maxConnections ?? RELAY_DEFAULTS.maxConnections,
    minBodyRate: given.minBodyRate ?? RELAY_DEFAULTS.minBodyRate,
    minBodyRateGraceMs: given.minBodyRateGraceMs ?? RELAY_DEFAULTS.minBodyRateGraceMs,
  };
  for (const [name, flag] of [
    ["maxUnverifiedBytes", "--max-unverified-bytes"],
    ["maxConnections", "--max-connections"],
    ["minBodyRate", "--min-body-rate"],
  ] as const) {
    if (!Number.isInteger(limits[name]) || limits[name] <= 0)
      throw new Error(`${flag} (${name}) must be a positive integer, not ${limits[name]}`);
  }
  if (!(limits.minBodyRateGraceMs >= 0))
    throw new Error(`minBodyRateGraceMs must be zero or more, not ${limits.minBodyRateGraceMs}`);
  if (limits.maxUnverifiedBytes < maxBodyBytes) {
    throw new Error(
      `--max-unverified-bytes (${limits.maxUnverifiedBytes}) is smaller than --max-body-bytes (${maxBodyBytes}): ` +
        "a delivery of the largest allowed size could never be verified; raise --max-unverified-bytes or lower --max-body-bytes",
    );
  }
  return limits;
}
