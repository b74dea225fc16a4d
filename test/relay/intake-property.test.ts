// Proves every answer to random requests is a documented one, and nothing unverified reaches Sourcegraph.
// The relay's HTTP endpoint under random requests (JSON, form and random bodies up to and past the
// body limit, repeated headers, signed and unsigned): every answer is a documented one, a repeated
// security-relevant header is refused, and nothing that was not verified reaches Sourcegraph.
import { randomUUID } from "node:crypto";
import fc from "fast-check";
import { request } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Relay, startRelay } from "../../src/relay";
import { REPEAT_REFUSED } from "../../src/relay/repeated-headers";
import { type ReceiverFake, startReceiverFake } from "../../src/stand-ins/receiver";
import { captureLogger, post, sha, tempDir, waitFor } from "./helpers";

const LIMIT = 512;
/** What the relay may answer to a delivery: 202 (stored), Sourcegraph's statuses, 200 (an unsigned ping), 413. */
const DOCUMENTED = new Set([200, 202, 204, 400, 404, 413, 500]);
const kinds = ["GITHUB", "GITLAB", "BITBUCKETSERVER", "BITBUCKETCLOUD"] as const;
type Kind = (typeof kinds)[number];
const ids = Object.fromEntries(kinds.map((k) => [k, randomUUID()])) as Record<Kind, string>;
const kindOf = new Map(kinds.map((k) => [ids[k], k]));

let fake: ReceiverFake;
let relay: Relay;
beforeAll(async () => {
  fake = await startReceiverFake(kinds.map((k) => ({ uuid: ids[k], codeHostKind: k, secret: "s" })));
  relay = await startRelay({
    listen: { host: "127.0.0.1", port: 0 },
    forwardTo: fake.url,
    receivers: { list: kinds.map((k) => ({ uuid: ids[k], codeHostKind: k, secrets: ["s", "t"] })) },
    dataDir: tempDir(),
    maxBodyBytes: LIMIT,
    maxUnverifiedBytes: 64 * LIMIT,
    logger: captureLogger().logger,
  });
});
afterAll(async () => {
  await relay?.close();
  await fake?.close();
});

// Header values an HTTP client can send: visible ASCII and spaces.
const value = fc.string({
  unit: fc.constantFrom(..." !#%+,-./0123456789:;=ABCDEFabcdef_sz{}".split("")),
  maxLength: 60,
});
/** One value, or the same header sent two or three times. */
const maybeRepeated = (single: fc.Arbitrary<string>) =>
  fc.oneof(
    { weight: 4, arbitrary: single },
    { weight: 1, arbitrary: fc.array(single, { minLength: 2, maxLength: 3 }) },
  );
const headers = fc.record(
  {
    "content-type": maybeRepeated(
      fc.oneof(fc.constantFrom("application/json", "application/x-www-form-urlencoded", "text/plain"), value),
    ),
    "x-github-event": maybeRepeated(fc.oneof(fc.constantFrom("push", "ping", "nope"), value)),
    "x-event-key": maybeRepeated(
      fc.oneof(fc.constantFrom("repo:push", "diagnostics:ping", "repo:refs_changed"), value),
    ),
    "x-hub-signature": maybeRepeated(fc.oneof(fc.constant("sha256=00"), value)),
    "x-hub-signature-256": maybeRepeated(value),
    "x-gitlab-token": maybeRepeated(fc.oneof(fc.constantFrom("s", "t", "u"), value)),
    "x-gitlab-event": maybeRepeated(fc.constantFrom("Push Hook", "System Hook")),
    "x-github-delivery": maybeRepeated(value),
    "idempotency-key": maybeRepeated(value),
    "x-request-uuid": maybeRepeated(value),
    "x-request-id": maybeRepeated(value),
  },
  { requiredKeys: [] },
);
/** Form bodies as GitHub sends them, and as Go's ParseQuery refuses them. */
const formPair = fc
  .tuple(
    fc.constantFrom("payload", "p%61yload", "a", "", "x+y"),
    fc.oneof(
      fc.json().map(encodeURIComponent),
      value.map(encodeURIComponent),
      fc.constantFrom("%zz", "%4", "a;b", '{"object_kind":"push"}'),
    ),
  )
  .map(([k, v]) => `${k}=${v}`);
const body = fc.oneof(
  fc.uint8Array({ maxLength: LIMIT + 200 }).map((a) => Buffer.from(a)),
  fc.json().map((j) => Buffer.from(j)),
  fc.constant(Buffer.from('{"object_kind":"push"}')),
  fc.array(formPair, { maxLength: 6 }).map((pairs) => Buffer.from(pairs.join("&"))),
  // Sizes around the limit: a form of many pairs, and a JSON object padded to the size.
  fc
    .integer({ min: LIMIT - 40, max: LIMIT + 40 })
    .map((n) => Buffer.from(`payload=%7B%7D${"&a=b".repeat(n)}`.slice(0, n))),
  fc
    .integer({ min: LIMIT - 40, max: LIMIT + 40 })
    .map((n) => Buffer.from(JSON.stringify({ object_kind: "push", pad: "x".repeat(n - 34) }))),
);
/** Whether the sender holds a secret: then the signature (or token) is made for the body. */
const signer = fc.constantFrom(undefined, "s", "t", "not-a-secret");
const path = fc.oneof(
  fc.constantFrom(...kinds).map((k) => ids[k]),
  fc.constant(randomUUID()),
  value.map(encodeURIComponent),
);

type Headers = Record<string, string | string[]>;

function signed(kind: Kind | undefined, h: Headers, b: Buffer, secret: string | undefined): Headers {
  if (!secret || !kind) return h;
  if (kind === "GITLAB") return { ...h, "x-gitlab-token": secret };
  if (kind === "GITHUB") return { ...h, "x-hub-signature-256": sha("sha256", secret, b) };
  return { ...h, "x-hub-signature": sha("sha256", secret, b) };
}

/** Whether the request carries a credential made with a receiver's secret (in any of its values). */
function holdsSecret(h: Headers, b: Buffer): boolean {
  const values = ["x-hub-signature", "x-hub-signature-256", "x-gitlab-token"].flatMap((n) => h[n] ?? []);
  return ["s", "t"].some((k) =>
    [k, sha("sha256", k, b), sha("sha1", k, b)].some((credential) => values.includes(credential)),
  );
}

function repeated(kind: Kind, h: Headers): string | undefined {
  return REPEAT_REFUSED[kind].find((name) => {
    const v = h[name.toLowerCase()];
    return Array.isArray(v) && v.length > 1;
  });
}

describe("the relay's endpoint under random requests", () => {
  it("answers every request with a documented status, refuses repeated headers, forwards only what was verified", async () => {
    /** Bodies sent to a known receiver with a valid signature or token: the only ones that may be forwarded. */
    const verifiable = new Set<string>();
    await fc.assert(
      fc.asyncProperty(path, headers, body, signer, async (p, h0, b, secret) => {
        const kind = kindOf.get(p);
        const h = signed(kind, h0 as Headers, b, secret);
        if (kind && holdsSecret(h, b)) verifiable.add(b.toString("hex"));
        const res = await request(`${relay.url}/.api/webhooks/${p}`, { method: "POST", headers: h, body: b });
        const text = await res.body.text();
        const status = res.statusCode;
        expect(DOCUMENTED.has(status), `${status} ${text}`).toBe(true);
        if (!kind || b.length > LIMIT) return;
        const twice = repeated(kind, h);
        if (twice) expect({ status, text }).toEqual({ status: 400, text: `repeated ${twice} header\n` });
        if (status === 202) {
          expect(twice).toBeUndefined();
          expect(verifiable.has(b.toString("hex")), "a 202 for a body without a valid signature").toBe(true);
        }
      }),
      { numRuns: 300 },
    );
    const genuine = Buffer.from('{"object_kind":"push","genuine":true}');
    verifiable.add(genuine.toString("hex"));
    expect(
      (await post(`${relay.url}/.api/webhooks/${ids.GITLAB}`, { "x-gitlab-token": "t" }, genuine)).status,
    ).toBe(202);
    await waitFor(
      async () => (await relay.store.counts()).pending === 0 && relay.forwarder.busy === 0,
      10_000,
      "the queue to drain",
    );
    expect(fake.accepted.some((d) => d.body.equals(genuine))).toBe(true);
    for (const d of fake.seen)
      expect(verifiable.has(d.body.toString("hex")), `forwarded unverified: ${d.kind} ${d.event}`).toBe(true);
  });
});
