// Proves accepted deliveries reach Sourcegraph with identical bytes, re-signed, retried or dead-lettered.
// One relay in this process, before a stand-in of Sourcegraph's receiver: rotation, redeliveries
// dropped, "unknown event" answers ignored, an outage that loses nothing, refused signatures and
// unknown receivers dead-lettered and replayed, and --max-age expiring what never succeeds.
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Relay, startRelay } from "../../src/relay";
import { type ReceiverFake, startReceiverFake } from "../../src/stand-ins/receiver";
import { captureLogger, type Fixture, fixtures, post, sha, TEST_SECRET, tempDir, waitFor } from "./helpers";

const NEW_SECRET = "the-new-secret-🔑";
const ids = {
  GITHUB: randomUUID(),
  GITLAB: randomUUID(),
  BITBUCKETSERVER: randomUUID(),
  BITBUCKETCLOUD: randomUUID(),
};
const gone = randomUUID(); // known to the relay, not to Sourcegraph

let fake: ReceiverFake;
let relay: Relay;
const logs = captureLogger();

beforeAll(async () => {
  fake = await startReceiverFake([
    ...Object.entries(ids).map(([kind, uuid]) => ({
      uuid,
      codeHostKind: kind as Fixture["kind"],
      secret: NEW_SECRET,
    })),
  ]);
  relay = await startRelay({
    listen: { host: "127.0.0.1", port: 0 },
    adminListen: { host: "127.0.0.1", port: 0 },
    forwardTo: fake.url,
    // Rotation: Sourcegraph holds NEW_SECRET; code hosts still sign with the old one.
    receivers: {
      list: [
        ...Object.entries(ids).map(([kind, uuid]) => ({
          uuid,
          codeHostKind: kind as Fixture["kind"],
          secrets: [NEW_SECRET, TEST_SECRET],
        })),
        { uuid: gone, codeHostKind: "GITHUB", secrets: [TEST_SECRET] },
      ],
    },
    dataDir: tempDir(),
    maxBodyBytes: 64 * 1024,
    retryBaseMs: 5,
    retryMaxDelayMs: 50,
    logger: logs.logger,
  });
});

afterAll(async () => {
  await relay?.close();
  await fake?.close();
});

const hook = (uuid: string) => `${relay.url}/.api/webhooks/${uuid}`;
const settled = () =>
  waitFor(
    async () => (await relay.store.counts()).pending === 0 && relay.forwarder.busy === 0,
    10_000,
    "the queue to drain",
  );

describe("relay: forwarding", () => {
  it("accepts every real payload with 202 and forwards the identical bytes, re-signed with secrets[0]", async () => {
    const all = fixtures().filter((f) => f.file !== "bitbucket-server/pr.opened.json");
    for (const f of all) {
      const res = await post(hook(ids[f.kind]), f.headers, f.body);
      expect({ file: f.file, ...res }).toEqual({ file: f.file, status: 202, text: "accepted\n" });
    }
    await settled();
    for (const f of all) {
      // Every delivery reached Sourcegraph; pullrequest:created got its 5.5 parser's 404 (ignored).
      const got = fake.seen.find((d) => d.body.equals(f.body) && d.uuid === ids[f.kind]);
      expect(got?.status, f.file).toBe(f.file === "bitbucket-cloud/pullrequest.created.json" ? 404 : 200);
      expect(got, f.file).toBeDefined();
      const h = got!.headers;
      if (f.kind === "GITLAB")
        expect(Buffer.from(String(h["x-gitlab-token"]), "latin1").toString("utf8")).toBe(NEW_SECRET);
      else if (f.kind === "GITHUB") {
        expect(h["x-hub-signature-256"]).toBe(sha("sha256", NEW_SECRET, f.body));
        expect(h["x-hub-signature"]).toBe(sha("sha1", NEW_SECRET, f.body));
        expect(h["x-github-event"]).toBe(f.headers["X-GitHub-Event"]);
        expect(h["x-github-delivery"]).toBe(f.headers["X-GitHub-Delivery"]);
        expect(h["user-agent"]).toBe(f.headers["User-Agent"]);
      } else expect(h["x-hub-signature"]).toBe(sha("sha256", NEW_SECRET, f.body));
      expect(h["content-type"]).toBe(f.headers["Content-Type"]);
    }
  });

  it("accepts deliveries signed with either secret during rotation", async () => {
    const before = fake.accepted.length;
    const body = Buffer.from('{"ref":"refs/heads/main","zen":"Ünïcödé 🚀"}');
    for (const secret of [TEST_SECRET, NEW_SECRET]) {
      const res = await post(
        hook(ids.BITBUCKETCLOUD),
        { "x-event-key": "repo:push", "x-hub-signature": sha("sha256", secret, body) },
        body,
      );
      expect(res.status).toBe(202);
    }
    const bad = await post(
      hook(ids.BITBUCKETCLOUD),
      { "x-event-key": "repo:push", "x-hub-signature": sha("sha256", "neither", body) },
      body,
    );
    expect(bad).toEqual({ status: 400, text: "Could not validate payload with secret.\n" });
    await settled();
    expect(fake.accepted.length - before).toBe(2);
    expect(fake.accepted.at(-1)!.body.equals(body)).toBe(true);
  });

  it("drops a redelivery with the same delivery ID", async () => {
    const before = fake.accepted.length;
    const body = Buffer.from('{"zen":"once"}');
    const headers = {
      "content-type": "application/json",
      "x-github-event": "push",
      "x-github-delivery": randomUUID(),
      "x-hub-signature-256": sha("sha256", TEST_SECRET, body),
    };
    expect((await post(hook(ids.GITHUB), headers, body)).status).toBe(202);
    expect((await post(hook(ids.GITHUB), headers, body)).status).toBe(202);
    const gitlab = { "x-gitlab-token": TEST_SECRET, "idempotency-key": randomUUID() };
    const glBody = Buffer.from('{"object_kind":"push"}');
    await post(hook(ids.GITLAB), gitlab, glBody);
    await post(hook(ids.GITLAB), gitlab, glBody);
    await settled();
    expect(fake.accepted.length - before).toBe(2);
    const counted = await relay.metrics.registry.getSingleMetricAsString(
      "sg_webhooks_relay_duplicates_total",
    );
    expect(counted).toMatch(/sg_webhooks_relay_duplicates_total\{kind="GITHUB"\} 1/);
    expect(counted).toMatch(/sg_webhooks_relay_duplicates_total\{kind="GITLAB"\} 1/);
  });

  it("counts Sourcegraph's 'unknown event' answer as ignored, not as a failure", async () => {
    const body = Buffer.from('{"pullrequest":{}}');
    // In the presets and Sourcegraph's documentation, but unknown to its 5.5 parser (404).
    const res = await post(
      hook(ids.BITBUCKETCLOUD),
      { "x-event-key": "pullrequest:created", "x-hub-signature": sha("sha256", TEST_SECRET, body) },
      body,
    );
    expect(res.status).toBe(202);
    await settled();
    expect(fake.seen.at(-1)).toMatchObject({ event: "pullrequest:created", status: 404 });
    expect((await relay.store.counts()).dead).toBe(0);
    const metrics = await relay.metrics.registry.getSingleMetricAsString("sg_webhooks_relay_ignored_total");
    // The fixture of the first test, and this one.
    expect(metrics).toMatch(/sg_webhooks_relay_ignored_total\{kind="BITBUCKETCLOUD"\} 2/);
  });
});

describe("relay: failures of Sourcegraph", () => {
  it("an outage loses nothing: every acknowledged delivery is forwarded once it is back", async () => {
    const before = fake.accepted.length;
    fake.outage = 503;
    const bodies = Array.from({ length: 10 }, (_, i) =>
      Buffer.from(JSON.stringify({ object_kind: "push", n: i })),
    );
    for (const b of bodies)
      expect((await post(hook(ids.GITLAB), { "x-gitlab-token": TEST_SECRET }, b)).status).toBe(202);
    await waitFor(
      () => fake.log.filter((l) => l.outcome === 503).length >= 20,
      10_000,
      "retries during the outage",
    );
    expect(fake.accepted.length).toBe(before);
    fake.outage = undefined;
    await settled();
    const got = fake.accepted.slice(before).map((d) => d.body.toString());
    expect(got.sort()).toEqual(bodies.map((b) => b.toString()).sort());
    expect((await relay.store.counts()).dead).toBe(0);
    expect(await relay.metrics.registry.getSingleMetricAsString("sg_webhooks_relay_retried_total")).toMatch(
      /kind="GITLAB"\} [1-9]/,
    );
  });

  it("a signature Sourcegraph refuses and an unknown receiver go to the dead-letter store; replay forwards them", async () => {
    fake.receivers.get(ids.BITBUCKETSERVER)!.secret = "sourcegraph-has-another";
    const body = Buffer.from('{"eventKey":"repo:refs_changed"}');
    expect(
      (
        await post(
          hook(ids.BITBUCKETSERVER),
          { "x-event-key": "repo:refs_changed", "x-hub-signature": sha("sha256", TEST_SECRET, body) },
          body,
        )
      ).status,
    ).toBe(202);
    const gh = Buffer.from("{}");
    expect(
      (
        await post(
          hook(gone),
          {
            "content-type": "application/json",
            "x-github-event": "push",
            "x-hub-signature-256": sha("sha256", TEST_SECRET, gh),
          },
          gh,
        )
      ).status,
    ).toBe(202);
    await settled();
    const dead = await relay.store.listDead();
    expect(dead.map((d) => [d.receiverUuid, d.reason, d.lastStatus])).toEqual([
      [ids.BITBUCKETSERVER, "bad_signature", 400],
      [gone, "unknown_receiver", 404],
    ]);
    // The operator fixes Sourcegraph's secret, then replays.
    fake.receivers.get(ids.BITBUCKETSERVER)!.secret = NEW_SECRET;
    expect(await relay.store.replay({ ids: [dead[0]!.id] }, Date.now())).toBe(1);
    relay.forwarder.kick();
    await settled();
    expect(fake.accepted.at(-1)!.body.equals(body)).toBe(true);
    expect((await relay.store.listDead()).map((d) => d.receiverUuid)).toEqual([gone]);
  });

  it("logs carry no secret and no body", () => {
    const all = logs.lines.join("");
    expect(all).toContain('"msg":"forwarded"');
    for (const s of [TEST_SECRET, NEW_SECRET, "Ünïcödé", '"zen"', "refs/heads/main"])
      expect(all).not.toContain(s);
  });
});

describe("relay: bounded retries", () => {
  it("an answer slower than --forward-timeout is retried, recorded as a timeout, then delivered", async () => {
    const sg = await startReceiverFake([{ uuid: ids.GITHUB, codeHostKind: "GITHUB", secret: "s" }]);
    sg.inject({ kind: "latency", ms: 2000, times: 1 });
    const r = await startRelay({
      listen: { host: "127.0.0.1", port: 0 },
      forwardTo: sg.url,
      receivers: { list: [{ uuid: ids.GITHUB, codeHostKind: "GITHUB", secrets: ["s"] }] },
      dataDir: tempDir(),
      retryBaseMs: 5,
      retryMaxDelayMs: 20,
      forwardTimeoutMs: 200,
      shutdownGraceMs: 100,
      logger: captureLogger().logger,
    });
    try {
      const b = Buffer.from("{}");
      const headers = {
        "content-type": "application/json",
        "x-github-event": "push",
        "x-hub-signature-256": sha("sha256", "s", b),
      };
      expect((await post(`${r.url}/.api/webhooks/${ids.GITHUB}`, headers, b)).status).toBe(202);
      await waitFor(async () => (await r.store.counts()).pending === 0, 10_000, "delivery");
      const [record] = await r.store.records({}, 1);
      expect(record).toMatchObject({ state: "delivered", attempts: 2, lastStatus: 200 });
      const retried = await r.metrics.registry.getSingleMetricAsString("sg_webhooks_relay_retried_total");
      expect(retried).toMatch(/sg_webhooks_relay_retried_total\{kind="GITHUB"\} 1/);
      expect(sg.accepted.length).toBeGreaterThanOrEqual(1);
    } finally {
      await r.close();
      await sg.close();
    }
  });

  it("a delivery failing past --max-age is dead-lettered as expired", async () => {
    const sg = await startReceiverFake([{ uuid: ids.GITHUB, codeHostKind: "GITHUB", secret: "s" }]);
    sg.outage = 502;
    const r = await startRelay({
      listen: { host: "127.0.0.1", port: 0 },
      forwardTo: sg.url,
      receivers: { list: [{ uuid: ids.GITHUB, codeHostKind: "GITHUB", secrets: ["s"] }] },
      dataDir: tempDir(),
      retryBaseMs: 5,
      retryMaxDelayMs: 20,
      maxAgeMs: 300,
      logger: captureLogger().logger,
    });
    try {
      const b = Buffer.from("{}");
      expect(
        (
          await post(
            `${r.url}/.api/webhooks/${ids.GITHUB}`,
            {
              "content-type": "application/json",
              "x-github-event": "push",
              "x-hub-signature-256": sha("sha256", "s", b),
            },
            b,
          )
        ).status,
      ).toBe(202);
      await waitFor(async () => (await r.store.counts()).dead === 1, 5000, "expiry");
      const [d] = await r.store.listDead();
      expect(d).toMatchObject({ reason: "expired", lastStatus: 502 });
      expect(d!.attempts).toBeGreaterThan(1);
    } finally {
      await r.close();
      await sg.close();
    }
  });
});
