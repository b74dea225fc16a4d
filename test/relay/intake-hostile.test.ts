// Proves genuine deliveries are still accepted, and nothing unverified is kept, while the relay is attacked.
// The relay under attack while genuine deliveries arrive (the untimed facts of the hostile-load
// drill): slow senders, large form bodies with bogus signatures, unsigned Bitbucket Server
// diagnostics:ping with large bodies, repeated headers, and senders that hold the unverified byte
// budget. Nothing unverified reaches Sourcegraph, nothing the attackers sent is written to the data
// directory, the budget answers 503 with Retry-After and counts it, and every genuine delivery is
// acknowledged in the end. Small bounds keep it quick; no timing is asserted.
import { randomUUID } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { request } from "undici";
import { afterAll, describe, expect, it } from "vitest";
import { type Relay, startRelay } from "../../src/relay";
import { type ReceiverFake, startReceiverFake } from "../../src/stand-ins/receiver";
import { captureLogger, sha, TEST_SECRET, tempDir, waitFor } from "./helpers";
import { openRequest, type RawRequest } from "./raw-client";

const KiB = 1024;
const MARK = `attacker-${randomUUID()}`;
const kinds = ["GITHUB", "GITLAB", "BITBUCKETSERVER", "BITBUCKETCLOUD"] as const;
type Kind = (typeof kinds)[number];
const ids = Object.fromEntries(kinds.map((k) => [k, randomUUID()])) as Record<Kind, string>;
const hookPath = (kind: Kind) => `/.api/webhooks/${ids[kind]}`;

let fake: ReceiverFake | undefined;
let relay: Relay | undefined;
const raw: RawRequest[] = [];
afterAll(async () => {
  for (const r of raw) r.socket.destroy();
  await relay?.close();
  await fake?.close();
});

/** A form body of `a=b&` pairs with the attacker's mark, `size` bytes long. */
const formOf = (size: number) => Buffer.from(`m=${MARK}&${"a=b&".repeat(size / 4)}`.slice(0, size));
const bogus = `sha256=${"ab".repeat(32)}`;

interface Genuine {
  kind: Kind;
  headers: Record<string, string>;
  body: Buffer;
}

function genuine(kind: Kind, n: number): Genuine {
  const json = Buffer.from(
    JSON.stringify({ object_kind: "push", genuine: `${kind}-${n}`, ref: "refs/heads/main" }),
  );
  switch (kind) {
    case "GITHUB": {
      // Every other one form-encoded, as GitHub sends it when a hook asks for that.
      const body = n % 2 ? Buffer.from(`payload=${encodeURIComponent(json.toString())}`) : json;
      return {
        kind,
        body,
        headers: {
          "content-type": n % 2 ? "application/x-www-form-urlencoded" : "application/json",
          "x-github-event": "push",
          "x-github-delivery": randomUUID(),
          "x-hub-signature-256": sha("sha256", TEST_SECRET, body),
        },
      };
    }
    case "GITLAB":
      return {
        kind,
        body: json,
        headers: { "x-gitlab-token": TEST_SECRET, "idempotency-key": randomUUID() },
      };
    case "BITBUCKETSERVER":
      return {
        kind,
        body: json,
        headers: {
          "x-event-key": n % 5 === 0 ? "diagnostics:ping" : "repo:refs_changed",
          "x-hub-signature": sha("sha256", TEST_SECRET, json),
        },
      };
    case "BITBUCKETCLOUD":
      return {
        kind,
        body: json,
        headers: {
          "x-event-key": "repo:push",
          "x-request-uuid": randomUUID(),
          "x-hub-signature": sha("sha256", TEST_SECRET, json),
        },
      };
  }
}

async function post(r: Relay, kind: Kind, headers: Record<string, string | string[]>, body: Buffer) {
  const res = await request(`${r.url}${hookPath(kind)}`, { method: "POST", headers, body });
  return { status: res.statusCode, retryAfter: res.headers["retry-after"], text: await res.body.text() };
}

/**
 * A genuine code host: sends again after a 503 (as told by Retry-After) or a cut connection, and,
 * should a loaded test machine stall it past the rate's grace, after a 408.
 */
async function deliver(r: Relay, g: Genuine): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const res = await post(r, g.kind, g.headers, g.body).catch(() => undefined);
    if (res && res.status !== 503 && res.status !== 408) return res.status;
    await new Promise((w) => setTimeout(w, res?.retryAfter ? 200 : 50));
  }
  return 503;
}

async function rejected(r: Relay, reason: string): Promise<number> {
  return (await r.metrics.rejected.get()).values.find((v) => v.labels.reason === reason)?.value ?? 0;
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? filesUnder(join(dir, e.name)) : [join(dir, e.name)],
  );
}

describe("the relay under hostile senders", () => {
  it("forwards only verified deliveries, stores nothing of the attack, answers 503 beyond the budget, acknowledges every genuine delivery", async () => {
    fake = await startReceiverFake(
      kinds.map((k) => ({ uuid: ids[k], codeHostKind: k, secret: TEST_SECRET })),
    );
    const dataDir = tempDir();
    const r = await startRelay({
      listen: { host: "127.0.0.1", port: 0 },
      forwardTo: fake.url,
      receivers: { list: kinds.map((k) => ({ uuid: ids[k], codeHostKind: k, secrets: [TEST_SECRET] })) },
      dataDir,
      maxBodyBytes: 256 * KiB,
      maxUnverifiedBytes: 512 * KiB,
      maxConnections: 512,
      minBodyRate: 4 * KiB,
      minBodyRateGraceMs: 1000,
      retryBaseMs: 5,
      logger: captureLogger().logger,
    });
    relay = r;

    // Slow senders: a signed-looking body at about 1 KB/s, until the relay ends it.
    const slow = Array.from({ length: 10 }, () => {
      const req = openRequest(r.url, hookPath("GITHUB"), {
        "content-type": "application/json",
        "x-github-event": "push",
        "x-hub-signature-256": bogus,
        "content-length": String(200 * KiB),
      });
      raw.push(req);
      const timer = setInterval(() => req.send(`{"${MARK}":"${"x".repeat(60)}"}`), 100);
      void req.closed.then(() => clearInterval(timer));
      return req;
    });

    // Holders: 200 KiB of a 250 KiB body each, three at once: more than the budget.
    const holders = Array.from({ length: 3 }, () => {
      const req = openRequest(r.url, hookPath("GITHUB"), {
        "content-type": "application/x-www-form-urlencoded",
        "x-github-event": "push",
        "x-hub-signature-256": bogus,
        "content-length": String(250 * KiB),
      });
      raw.push(req);
      req.send(formOf(200 * KiB));
      return req;
    });
    const refusedHolder = await Promise.race(holders.map((h) => h.answer));
    expect(refusedHolder).toMatchObject({ status: 503, headers: { "retry-after": "1" } });

    // While the budget is taken: genuine deliveries, large bogus forms, unsigned pings, repeated headers.
    const genuineDeliveries = kinds.flatMap((k) => Array.from({ length: 10 }, (_, n) => genuine(k, n)));
    const acknowledged = Promise.all(genuineDeliveries.map((g) => deliver(r, g)));
    const forms = Promise.all(
      Array.from({ length: 3 }, () => {
        const body = formOf(250 * KiB);
        return post(
          r,
          "GITHUB",
          {
            "content-type": "application/x-www-form-urlencoded",
            "x-github-event": "push",
            "x-hub-signature-256": bogus,
          },
          body,
        );
      }),
    );
    const pings = Promise.all(
      Array.from({ length: 5 }, () =>
        post(
          r,
          "BITBUCKETSERVER",
          { "x-event-key": "diagnostics:ping" },
          Buffer.from(`{"${MARK}":"${"p".repeat(200 * KiB)}"}`),
        ),
      ),
    );
    const repeated = Promise.all(
      Array.from({ length: 10 }, (_, n) => {
        const g = genuine(n % 2 ? "GITHUB" : "BITBUCKETCLOUD", 100 + n);
        const body = Buffer.concat([g.body, Buffer.from(` ${MARK}`)]);
        const name = g.kind === "GITHUB" ? "x-github-event" : "x-event-key";
        return post(r, g.kind, { ...g.headers, [name]: [g.headers[name]!, "push"] }, body);
      }),
    );

    for (const f of await forms) expect([400, 503]).toContain(f.status);
    for (const p of await pings) expect(p).toMatchObject({ status: 200, text: "" });
    for (const x of await repeated) expect(x.status).toBe(400);
    expect(await rejected(r, "unverified_budget")).toBeGreaterThanOrEqual(1);

    // The holders leave; every genuine delivery gets through.
    for (const h of holders) h.socket.destroy();
    expect(await acknowledged).toEqual(genuineDeliveries.map(() => 202));
    // The relay ends every slow sender.
    await Promise.all(slow.map((s) => s.closed));
    for (const s of slow) expect((await s.answer)?.status ?? 408).toBe(408);
    expect(await rejected(r, "slow_body")).toBeGreaterThanOrEqual(slow.length);
    expect(await rejected(r, "unsigned_ping")).toBe(5);
    expect(await rejected(r, "repeated_header")).toBe(10);

    await waitFor(
      async () => (await r.store.counts()).pending === 0 && r.forwarder.busy === 0,
      10_000,
      "the queue to drain",
    );
    // Sourcegraph saw the genuine bodies, each once, and nothing else.
    const sent = new Set(genuineDeliveries.map((g) => g.body.toString("hex")));
    for (const d of fake.seen)
      expect(sent.has(d.body.toString("hex")), "an unverified body was forwarded").toBe(true);
    for (const g of genuineDeliveries) {
      expect(fake.accepted.filter((d) => d.body.equals(g.body)).length, g.body.toString()).toBe(1);
    }
    expect((await r.metrics.accepted.get()).values.reduce((n, v) => n + v.value, 0)).toBe(
      genuineDeliveries.length,
    );

    await r.close();
    relay = undefined;
    // Nothing the attackers sent was written to the data directory.
    const mark = Buffer.from(MARK);
    for (const file of filesUnder(dataDir)) expect(readFileSync(file).includes(mark), file).toBe(false);
  });
});
