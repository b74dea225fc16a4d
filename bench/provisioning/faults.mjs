// The provisioning drill's faults: a seeded random source (so a run can be repeated) and the mix
// of failures a fake answers at random, checked in this order for every request.

/** mulberry32: a small, well-known 32-bit PRNG; enough to replay a fault sequence from its seed. */
export function seeded(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * About one request in eight fails: rate limiting, gateway and server errors (502 and 504 may hide
 * a processed write; 500 is not retried at all), and connections dropped before the request is
 * processed or after it (the client cannot tell which).
 */
export const FAULT_MIX = [
  { kind: "status", status: 429, retryAfter: 1, chance: 0.03 },
  { kind: "status", status: 503, chance: 0.02 },
  { kind: "status", status: 502, chance: 0.015 },
  { kind: "status", status: 504, chance: 0.015 },
  { kind: "status", status: 500, chance: 0.01 },
  { kind: "dropBefore", chance: 0.02 },
  { kind: "dropAfter", chance: 0.02 },
];

/** The faults a fake answered since `from` (an index into its log), by kind. */
export function faultsSince(server, from) {
  const out = { 429: 0, "5xx": 0, dropBefore: 0, dropAfter: 0 };
  for (const e of server.log.slice(from)) {
    if (e.fault === "status") out[e.outcome === 429 ? 429 : "5xx"]++;
    else if (e.fault === "dropBefore" || e.fault === "dropAfter") out[e.fault]++;
  }
  return out;
}
