// Proves what an unverified request may cost the relay stays bounded, one bound at a time.
// What an unverified request may cost the relay, one bound at a time: repeated security-relevant
// headers are refused, an unsigned Bitbucket Server diagnostics:ping is answered and dropped, a
// wrong GitLab token is answered before its body is read, bodies not yet verified share a byte
// budget (503 with Retry-After beyond it), a body that arrives too slowly is ended, and sockets
// beyond the connection cap are closed at once. Each refusal is counted by reason.
import { randomUUID } from "node:crypto";
import { request } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Relay, startRelay } from "../../src/relay";
import { REPEAT_REFUSED } from "../../src/relay/repeated-headers";
import { type ReceiverFake, startReceiverFake } from "../../src/stand-ins/receiver";
import { captureLogger, sha, TEST_SECRET, tempDir, waitFor } from "./helpers";
import { openRequest, type RawAnswer } from "./raw-client";

const KiB = 1024;
const kinds = ["GITHUB", "GITLAB", "BITBUCKETSERVER", "BITBUCKETCLOUD"] as const;
type Kind = (typeof kinds)[number];
const ids = Object.fromEntries(kinds.map((k) => [k, randomUUID()])) as Record<Kind, string>;

let fake: ReceiverFake;
let relay: Relay;

async function start(extra: Partial<Parameters<typeof startRelay>[0]> = {}): Promise<Relay> {
  return startRelay({
    listen: { host: "127.0.0.1", port: 0 },
    forwardTo: fake.url,
    receivers: { list: kinds.map((k) => ({ uuid: ids[k], codeHostKind: k, secrets: [TEST_SECRET] })) },
    dataDir: tempDir(),
    maxBodyBytes: 64 * KiB,
    maxUnverifiedBytes: 96 * KiB,
    minBodyRate: 1024,
    // Short, to keep the file quick; a request of this file that stalls longer under load would be
    // ended (that is counted by reason, so the counts below are lower bounds).
    minBodyRateGraceMs: 500,
    retryBaseMs: 5,
    logger: captureLogger().logger,
    ...extra,
  });
}

beforeAll(async () => {
  fake = await startReceiverFake(kinds.map((k) => ({ uuid: ids[k], codeHostKind: k, secret: TEST_SECRET })));
  relay = await start();
});
afterAll(async () => {
  await relay?.close();
  await fake?.close();
});

const hookPath = (kind: Kind) => `/.api/webhooks/${ids[kind]}`;

/** A delivery each receiver accepts: its event, its signature or token, its delivery ID. */
function genuine(kind: Kind, body: Buffer): Record<string, string> {
  switch (kind) {
    case "GITHUB":
      return {
        "content-type": "application/json",
        "x-github-event": "push",
        "x-hub-signature-256": sha("sha256", TEST_SECRET, body),
        "x-hub-signature": sha("sha1", TEST_SECRET, body),
        "x-github-delivery": randomUUID(),
      };
    case "GITLAB":
      return {
        "x-gitlab-token": TEST_SECRET,
        "x-gitlab-event": "Push Hook",
        "idempotency-key": randomUUID(),
      };
    case "BITBUCKETSERVER":
      return {
        "x-event-key": "repo:refs_changed",
        "x-hub-signature": sha("sha256", TEST_SECRET, body),
        "x-request-id": randomUUID(),
      };
    case "BITBUCKETCLOUD":
      return {
        "x-event-key": "repo:push",
        "x-hub-signature": sha("sha256", TEST_SECRET, body),
        "x-request-uuid": randomUUID(),
      };
  }
}

const jsonBody = (size: number, tag = randomUUID()) =>
  Buffer.from(JSON.stringify({ object_kind: "push", tag, pad: "x".repeat(Math.max(0, size - 70)) }));

async function send(r: Relay, kind: Kind, headers: Record<string, string | string[]>, body: Buffer) {
  const res = await request(`${r.url}${hookPath(kind)}`, { method: "POST", headers, body });
  return { status: res.statusCode, headers: res.headers, text: await res.body.text() };
}

async function rejected(r: Relay, reason: string): Promise<number> {
  const m = await r.metrics.rejected.get();
  return m.values.find((v) => v.labels.reason === reason)?.value ?? 0;
}

async function unverifiedBytes(r: Relay): Promise<number> {
  const text = await r.metrics.registry.getSingleMetricAsString("sg_webhooks_relay_unverified_bytes");
  return Number(/sg_webhooks_relay_unverified_bytes (\d+)/.exec(text)?.[1]);
}

/** The answer, or "none" when the relay has not answered within a generous bound (it is waiting for the body). */
function answerOrNone(answer: Promise<RawAnswer | undefined>): Promise<RawAnswer | undefined | "none"> {
  return Promise.race([answer, new Promise<"none">((r) => setTimeout(() => r("none"), 5000))]);
}

const drained = (r: Relay) =>
  waitFor(async () => (await r.store.counts()).pending === 0 && r.forwarder.busy === 0, 10_000, "the queue");

describe("repeated security-relevant headers", () => {
  it("each one, for each kind, is refused with 400 `repeated <Header> header`, and nothing is stored", async () => {
    const before = await rejected(relay, "repeated_header");
    const accepted = (await relay.metrics.accepted.get()).values.reduce((n, v) => n + v.value, 0);
    let sent = 0;
    for (const kind of kinds) {
      for (const name of REPEAT_REFUSED[kind]) {
        const body = jsonBody(100);
        const headers: Record<string, string | string[]> = {
          ...genuine(kind, body),
          ...(name === "Content-Type" ? { "content-type": "application/json" } : {}),
        };
        const key = name.toLowerCase();
        const value = headers[key] ?? "x";
        // The same value twice: still refused, so no reading of a list is ever forwarded.
        headers[key] = [value as string, value as string];
        expect(await send(relay, kind, headers, body), `${kind} ${name}`).toMatchObject({
          status: 400,
          text: `repeated ${name} header\n`,
        });
        sent++;
      }
    }
    expect(await rejected(relay, "repeated_header")).toBe(before + sent);
    expect((await relay.metrics.accepted.get()).values.reduce((n, v) => n + v.value, 0)).toBe(accepted);
  });

  it("a header the receiver's kind does not read may repeat", async () => {
    const body = jsonBody(100);
    const res = await send(relay, "GITLAB", { ...genuine("GITLAB", body), "x-event-key": ["a", "b"] }, body);
    expect(res.status).toBe(202);
  });
});

describe("Bitbucket Server's unsigned diagnostics:ping", () => {
  it("is answered 200 before its body is read, and neither stored nor forwarded nor accepted", async () => {
    await drained(relay);
    const before = await rejected(relay, "unsigned_ping");
    const accepted = await relay.metrics.accepted.get();
    const ping = openRequest(relay.url, hookPath("BITBUCKETSERVER"), {
      "x-event-key": "diagnostics:ping",
      "content-length": String(60 * KiB),
    });
    ping.send(Buffer.alloc(KiB, 0x7b));
    const answer = await answerOrNone(ping.answer);
    expect(answer).toMatchObject({ status: 200, text: "" });
    ping.socket.destroy();
    expect(await rejected(relay, "unsigned_ping")).toBe(before + 1);
    expect(await relay.metrics.accepted.get()).toEqual(accepted);
    expect((await relay.store.counts()).pending).toBe(0);
    expect(fake.seen.filter((d) => d.event === "diagnostics:ping")).toEqual([]);
  });

  it("a signed diagnostics:ping is an ordinary delivery: verified, stored, forwarded re-signed", async () => {
    const body = Buffer.from('{"test":true}');
    const res = await send(
      relay,
      "BITBUCKETSERVER",
      { "x-event-key": "diagnostics:ping", "x-hub-signature": sha("sha256", TEST_SECRET, body) },
      body,
    );
    expect(res.status).toBe(202);
    await drained(relay);
    const got = fake.seen.find((d) => d.event === "diagnostics:ping" && d.body.equals(body));
    expect(got?.headers["x-hub-signature"]).toBe(sha("sha256", TEST_SECRET, body));
    const bogus = await send(
      relay,
      "BITBUCKETSERVER",
      { "x-event-key": "diagnostics:ping", "x-hub-signature": sha("sha256", "not the secret", body) },
      body,
    );
    expect(bogus.status).toBe(400);
  });
});

describe("refusals decided by the headers come before the body", () => {
  for (const [what, kind, headers] of [
    ["a wrong GitLab token", "GITLAB", { "x-gitlab-token": "wrong" }],
    ["a GitHub delivery without a signature", "GITHUB", { "content-type": "application/json" }],
    ["a Bitbucket Cloud signature of the wrong length", "BITBUCKETCLOUD", { "x-hub-signature": "sha256=00" }],
  ] as const) {
    it(`${what}: 400 while the body is still coming, nothing held`, async () => {
      const req = openRequest(relay.url, hookPath(kind), { ...headers, "content-length": String(60 * KiB) });
      req.send(Buffer.alloc(KiB, 0x7b));
      expect(await answerOrNone(req.answer)).toMatchObject({
        status: 400,
        text: "Could not validate payload with secret.\n",
      });
      expect(await unverifiedBytes(relay)).toBe(0);
      req.socket.destroy();
    });
  }
});

describe("the unverified byte budget", () => {
  it("beyond it, 503 with Retry-After; a verified GitLab sender does not count; every body gets through once there is room", async () => {
    const before = await rejected(relay, "unverified_budget");
    // A signed delivery that holds 60 KiB of its 64 KiB while the rest is on its way.
    const held = jsonBody(64 * KiB - 200);
    const slow = openRequest(relay.url, hookPath("GITHUB"), {
      ...genuine("GITHUB", held),
      "content-length": String(held.length),
    });
    slow.send(held.subarray(0, 60 * KiB));
    await waitFor(async () => (await unverifiedBytes(relay)) === 60 * KiB, 5000, "60 KiB held");

    const second = jsonBody(40 * KiB);
    const refused = await send(relay, "BITBUCKETCLOUD", genuine("BITBUCKETCLOUD", second), second);
    expect(refused.status).toBe(503);
    expect(refused.headers["retry-after"]).toBe("1");
    expect(refused.text).toMatch(/unverified/);
    expect(await rejected(relay, "unverified_budget")).toBe(before + 1);
    expect(await unverifiedBytes(relay)).toBe(60 * KiB);

    // GitLab's token matched before the body was read: its body is not unverified.
    const gitlab = jsonBody(40 * KiB);
    expect((await send(relay, "GITLAB", genuine("GITLAB", gitlab), gitlab)).status).toBe(202);

    slow.send(held.subarray(60 * KiB));
    expect(await slow.answer).toMatchObject({ status: 202 });
    slow.socket.destroy();
    expect(await unverifiedBytes(relay)).toBe(0);
    expect((await send(relay, "BITBUCKETCLOUD", genuine("BITBUCKETCLOUD", second), second)).status).toBe(202);
    await drained(relay);
    for (const b of [held, gitlab, second]) expect(fake.accepted.some((d) => d.body.equals(b))).toBe(true);
  });
});

describe("the minimum body rate", () => {
  it("a body slower than the rate is ended with 408, and its bytes are given back", async () => {
    const before = await rejected(relay, "slow_body");
    const body = jsonBody(10 * KiB);
    const req = openRequest(relay.url, hookPath("GITHUB"), {
      ...genuine("GITHUB", body),
      "content-length": String(body.length),
    });
    req.send(body.subarray(0, 10));
    const answer = await answerOrNone(req.answer);
    expect(answer).toMatchObject({ status: 408 });
    await req.closed;
    expect(await rejected(relay, "slow_body")).toBeGreaterThanOrEqual(before + 1);
    expect(await unverifiedBytes(relay)).toBe(0);
  });

  it("the body of a request already refused is ended too when it trickles", async () => {
    const before = await rejected(relay, "slow_body");
    const req = openRequest(relay.url, `/.api/webhooks/${randomUUID()}`, { "content-length": "10000" });
    req.send("{");
    expect(await answerOrNone(req.answer)).toMatchObject({ status: 404 });
    await req.closed;
    expect(await rejected(relay, "slow_body")).toBeGreaterThanOrEqual(before + 1);
  });
});

describe("the connection cap", () => {
  it("sockets beyond it are closed at once and counted; one frees a place when it closes", async () => {
    const capped = await start({ maxConnections: 2 });
    try {
      const health = (r: ReturnType<typeof openRequest>) => r.answer;
      const open = [0, 1].map(() => openRequest(capped.url, "/healthz", { "content-length": "0" }));
      for (const r of open) expect(await health(r)).toMatchObject({ status: 200 });
      const third = openRequest(capped.url, "/healthz", { "content-length": "0" });
      expect(await third.answer).toBeUndefined();
      await third.closed;
      expect(await rejected(capped, "connection_cap")).toBe(1);
      open[0]!.socket.destroy();
      await open[0]!.closed;
      await waitFor(
        async () => {
          const again = openRequest(capped.url, "/healthz", { "content-length": "0" });
          const a = await again.answer;
          again.socket.destroy();
          return a?.status === 200;
        },
        5000,
        "a place after a connection closed",
      );
      open[1]!.socket.destroy();
    } finally {
      await capped.close();
    }
  });
});

describe("start-up", () => {
  it("refuses a budget smaller than the body limit, and non-positive bounds, naming the flags", async () => {
    await expect(start({ maxUnverifiedBytes: 32 * KiB })).rejects.toThrow(
      /--max-unverified-bytes \(32768\) is smaller than --max-body-bytes \(65536\)/,
    );
    await expect(start({ maxConnections: 0 })).rejects.toThrow(/--max-connections/);
    await expect(start({ minBodyRate: -1 })).rejects.toThrow(/--min-body-rate/);
  });
});
