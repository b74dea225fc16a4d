// One POST on a connection of its own, as a code host sends a delivery (and as an attacker would):
// node:http rather than a pooled client, so that a repeated header goes out as two header lines
// (an array value) and no request waits behind another one's connection.
import { request } from "node:http";

/**
 * Resolves, never rejects, with `{ status, ms }` once the answer's body has ended, or `{ error, ms }`:
 * the error code (ECONNRESET, EPIPE...) or "aborted" when `signal` ended the request first. `ms`
 * runs from the call to the end of the answer.
 */
export function post(url, { headers, body, signal }) {
  const started = performance.now();
  return new Promise((resolve) => {
    let settled = false;
    const settle = (outcome) => {
      if (settled) return;
      settled = true;
      resolve({ ...outcome, ms: performance.now() - started });
    };
    const req = request(url, {
      method: "POST",
      agent: false,
      headers: { ...headers, "content-length": String(body.length) },
      signal,
    });
    req.on("response", (res) => {
      res.resume();
      res.once("end", () => settle({ status: res.statusCode }));
      // The answer came, then the connection went (a refusal that closes it): the answer counts.
      res.once("close", () => settle({ status: res.statusCode }));
    });
    req.on("error", (err) => settle({ error: signal?.aborted ? "aborted" : (err.code ?? err.name) }));
    req.end(body);
  });
}

/** Outcomes counted by status or error, as `{ "202": 1490, ECONNRESET: 3 }`. */
export function tallyOutcomes(outcomes) {
  const counts = {};
  for (const o of outcomes) {
    const key = o.status ?? o.error;
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
}

/** The q-quantile (0..1) of a list of numbers, nearest rank; NaN for none. */
export function quantile(values, q) {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}
