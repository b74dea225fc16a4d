// Proves verifyDelivery never throws on random input, answers only Sourcegraph's statuses, verifies exactly.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CODE_HOST_KINDS, sign, verifyDelivery, verifyHeaders } from "../../src/ingest";

/** Every status verifyDelivery may answer: Sourcegraph's, per cmd/frontend/webhooks/*.go. */
const DOCUMENTED = new Set([204, 400, 404, 500, 501]);

const headerName = fc.oneof(
  fc.constantFrom(
    "Content-Type",
    "content-type",
    "X-GitHub-Event",
    "x-github-event",
    "X-Hub-Signature",
    "X-HUB-SIGNATURE-256",
    "X-Gitlab-Token",
    "X-Event-Key",
    "x-event-key",
    "X-GitHub-Delivery",
  ),
  fc.string({ maxLength: 20 }),
);
const headerValue = fc.oneof(
  fc.string({ maxLength: 80 }),
  fc.constantFrom(
    "application/json",
    "application/x-www-form-urlencoded",
    "push",
    "repo:push",
    "diagnostics:ping",
    "sha256=",
    "sha1=zz",
  ),
  fc.array(fc.string({ maxLength: 20 }), { maxLength: 3 }),
);
const headers = fc.dictionary(headerName, headerValue, { maxKeys: 8 });
const body = fc.oneof(
  fc.uint8Array({ maxLength: 300 }),
  fc.json().map((j) => Buffer.from(j)),
  fc
    .constantFrom(
      '{"object_kind":"push"}',
      '{"object_kind":null}',
      "null",
      "[]",
      "payload=%7B%7D",
      "payload=%zz",
    )
    .map((s) => Buffer.from(s)),
);
const secrets = fc.array(fc.string({ maxLength: 12 }), { maxLength: 3 });
const kind = fc.constantFrom(...CODE_HOST_KINDS);

describe("verifyDelivery under random input", () => {
  it("what verifyHeaders refuses, verifyDelivery refuses alike whatever the body; a matched GitLab token is never a bad signature", async () => {
    await fc.assert(
      fc.asyncProperty(kind, headers, body, secrets, async (k, h, b, s) => {
        const early = verifyHeaders({ kind: k, headers: h, secrets: s });
        const full = await verifyDelivery({ kind: k, headers: h, body: b, secrets: s });
        if (typeof early !== "string") expect(full).toEqual(early);
        else if (early === "sender_verified") {
          expect(k).toBe("GITLAB");
          expect(full.ok || full.reason !== "bad_signature").toBe(true);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it("never throws, and answers ok with an event or one of the documented statuses", async () => {
    await fc.assert(
      fc.asyncProperty(kind, headers, body, secrets, async (k, h, b, s) => {
        const v = await verifyDelivery({ kind: k, headers: h, body: b, secrets: s });
        if (v.ok) expect(typeof v.event).toBe("string");
        else {
          expect(DOCUMENTED.has(v.status)).toBe(true);
          expect(v.message.length).toBeGreaterThan(0);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it("a delivery signed with any of the secrets never fails on its signature; a changed body always does", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom("GITHUB", "BITBUCKETCLOUD", "BITBUCKETSERVER" as const),
        fc.uint8Array({ minLength: 1, maxLength: 200 }),
        fc.array(fc.string({ minLength: 1, maxLength: 16 }), { minLength: 1, maxLength: 3 }),
        fc.nat(),
        async (k, b, s, pick) => {
          const secret = s[pick % s.length]!;
          const h = {
            "content-type": "application/json",
            "x-github-event": "push",
            "x-event-key": "repo:push",
            "x-hub-signature": sign("sha256", secret, b),
          };
          const v = await verifyDelivery({ kind: k, headers: h, body: b, secrets: s });
          expect(v.ok || v.reason !== "bad_signature").toBe(true);
          const changed = Buffer.from(b);
          changed[pick % changed.length] ^= 0x01;
          const w = await verifyDelivery({ kind: k, headers: h, body: changed, secrets: s });
          expect(w).toMatchObject({ ok: false, status: 400, reason: "bad_signature" });
        },
      ),
      { numRuns: 500 },
    );
  });
});
