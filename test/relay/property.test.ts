import { randomUUID } from "node:crypto";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Relay, startRelay } from "../../src/relay";
import { type ReceiverFake, startReceiverFake } from "../fakes/receiver";
import { captureLogger, post, tempDir } from "./helpers";

/** What the relay may answer to a delivery: 202 (stored) or one of Sourcegraph's statuses, or 413. */
const DOCUMENTED = new Set([202, 204, 400, 404, 413, 500]);
const kinds = ["GITHUB", "GITLAB", "BITBUCKETSERVER", "BITBUCKETCLOUD"] as const;
const ids = Object.fromEntries(kinds.map((k) => [k, randomUUID()])) as Record<(typeof kinds)[number], string>;

let fake: ReceiverFake;
let relay: Relay;
beforeAll(async () => {
  fake = await startReceiverFake(kinds.map((k) => ({ uuid: ids[k], codeHostKind: k, secret: "s" })));
  relay = await startRelay({
    listen: { host: "127.0.0.1", port: 0 },
    forwardTo: fake.url,
    receivers: { list: kinds.map((k) => ({ uuid: ids[k], codeHostKind: k, secrets: ["s", "t"] })) },
    dataDir: tempDir(),
    maxBodyBytes: 512,
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
const headers = fc.record(
  {
    "content-type": fc.oneof(
      fc.constantFrom("application/json", "application/x-www-form-urlencoded", "text/plain"),
      value,
    ),
    "x-github-event": fc.oneof(fc.constantFrom("push", "ping", "nope"), value),
    "x-event-key": fc.oneof(fc.constantFrom("repo:push", "diagnostics:ping", "repo:refs_changed"), value),
    "x-hub-signature": fc.oneof(fc.constant("sha256=00"), value),
    "x-hub-signature-256": value,
    "x-gitlab-token": fc.oneof(fc.constantFrom("s", "t", "u"), value),
    "x-github-delivery": value,
  },
  { requiredKeys: [] },
);
const body = fc.oneof(
  fc.uint8Array({ maxLength: 700 }),
  fc.json().map((j) => Buffer.from(j)),
  fc.constant(Buffer.from('{"object_kind":"push"}')),
);
const path = fc.oneof(
  fc.constantFrom(...kinds).map((k) => ids[k]),
  fc.constant(randomUUID()),
  value.map(encodeURIComponent),
);

describe("the relay's endpoint under random requests", () => {
  it("answers every request with 202 or a documented status, and keeps serving", async () => {
    await fc.assert(
      fc.asyncProperty(path, headers, body, async (p, h, b) => {
        const res = await post(`${relay.url}/.api/webhooks/${p}`, h as Record<string, string>, b);
        expect(DOCUMENTED.has(res.status), `${res.status} ${res.text}`).toBe(true);
      }),
      { numRuns: 300 },
    );
    expect(
      (
        await post(
          `${relay.url}/.api/webhooks/${ids.GITLAB}`,
          { "x-gitlab-token": "t" },
          '{"object_kind":"push"}',
        )
      ).status,
    ).toBe(202);
  });
});
