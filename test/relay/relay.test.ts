import { randomUUID } from "node:crypto";
import { writeFileSync } from "node:fs";
import { connect } from "node:net";
import { join } from "node:path";
import { request } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Relay, startRelay } from "../../src/relay";
import { type ReceiverFake, startReceiverFake } from "../../src/stand-ins/receiver";
import {
  captureLogger,
  type Fixture,
  fixtures,
  get,
  post,
  sha,
  TEST_SECRET,
  tempDir,
  waitFor,
} from "./helpers";

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

describe("relay: refusals, as Sourcegraph answers them", () => {
  it("400 for a malformed UUID, 404 for an unknown one, 405 for another method", async () => {
    expect(await post(`${relay.url}/.api/webhooks/SomeInvalidUUID`, {}, "{}")).toEqual({
      status: 400,
      text: 'Could not parse UUID from URL path "SomeInvalidUUID".\n',
    });
    expect(await post(hook(randomUUID()), {}, "{}")).toEqual({
      status: 404,
      text: "Could not find webhook with provided UUID.\n",
    });
    expect((await get(hook(ids.GITHUB))).status).toBe(405);
  });

  it("the per-host answers to events Sourcegraph does not take, without storing them", async () => {
    const b = Buffer.from("{}");
    expect(
      await post(
        hook(ids.GITHUB),
        {
          "content-type": "application/json",
          "x-github-event": "nope",
          "x-hub-signature-256": sha("sha256", TEST_SECRET, b),
        },
        b,
      ),
    ).toEqual({ status: 400, text: "unknown X-Github-Event in message: nope\n" });
    expect(await post(hook(ids.GITLAB), { "x-gitlab-token": TEST_SECRET }, '{"object_kind":"note"}')).toEqual(
      { status: 204, text: "" },
    );
    expect(
      await post(
        hook(ids.BITBUCKETCLOUD),
        { "x-event-key": "issue:created", "x-hub-signature": sha("sha256", TEST_SECRET, b) },
        b,
      ),
    ).toEqual({ status: 404, text: "unknown webhook event key: issue:created\n" });
    expect(
      (
        await post(
          hook(ids.BITBUCKETSERVER),
          { "x-event-key": "pr:opened", "x-hub-signature": sha("sha256", TEST_SECRET, b) },
          b,
        )
      ).status,
    ).toBe(400);
  });

  it("a missing or truncated signature and a one-byte change are 400", async () => {
    const body = Buffer.from('{"a":"b"}');
    const sig = sha("sha256", TEST_SECRET, body);
    const base = { "content-type": "application/json", "x-github-event": "push" };
    expect((await post(hook(ids.GITHUB), base, body)).status).toBe(400);
    expect(
      (await post(hook(ids.GITHUB), { ...base, "x-hub-signature-256": sig.slice(0, 20) }, body)).status,
    ).toBe(400);
    expect(
      (await post(hook(ids.GITHUB), { ...base, "x-hub-signature-256": sig }, Buffer.from('{"a":"c"}')))
        .status,
    ).toBe(400);
    expect(
      (
        await post(
          hook(ids.GITHUB),
          { ...base, "x-hub-signature-256": `sha256=${sig.slice(7).toUpperCase()}` },
          body,
        )
      ).status,
    ).toBe(202);
  });

  it("a repeated signature header is refused, whichever value comes first (a deviation from Sourcegraph)", async () => {
    const body = Buffer.from('{"zen":"twice"}');
    const send = async (signatures: string[]) => {
      const res = await request(hook(ids.GITHUB), {
        method: "POST",
        headers: {
          "content-type": "application/json",
          "x-github-event": "ping",
          "x-hub-signature-256": signatures,
        },
        body,
      });
      return { status: res.statusCode, text: await res.body.text() };
    };
    const good = sha("sha256", TEST_SECRET, body);
    const refused = { status: 400, text: "repeated X-Hub-Signature-256 header\n" };
    expect(await send([good, "sha256=00"])).toEqual(refused);
    expect(await send(["sha256=00", good])).toEqual(refused);
    expect(await send([good])).toEqual({ status: 202, text: "accepted\n" });
  });

  it("413 above the body limit", async () => {
    const big = Buffer.alloc(65 * 1024, 0x20);
    const res = await post(hook(ids.BITBUCKETCLOUD), { "x-event-key": "repo:push" }, big);
    expect(res.status).toBe(413);
  });

  it("the body limit holds for refused requests too: their bodies are not read past it", async () => {
    const { port } = new URL(relay.url);
    // Pushes up to 16 MB at a refused URL; how much the relay took before it closed the connection.
    const push = (path: string, chunked: boolean) =>
      new Promise<{ sent: number; answer: string }>((resolve) => {
        const limit = 16 * 1024 * 1024;
        const chunk = Buffer.alloc(64 * 1024, 0x20);
        const s = connect(Number(port), "127.0.0.1");
        let sent = 0;
        let answer = "";
        const done = () => {
          clearTimeout(timer);
          s.destroy();
          resolve({ sent, answer: answer.split("\r\n")[0]! });
        };
        const timer = setTimeout(done, 3000);
        s.on("data", (d) => {
          answer += d;
        });
        s.on("error", () => {});
        s.on("close", done);
        s.write(
          `POST ${path} HTTP/1.1\r\nHost: relay\r\n${chunked ? "Transfer-Encoding: chunked" : `Content-Length: ${limit}`}\r\n\r\n`,
        );
        const pump = () => {
          while (sent < limit && !s.destroyed) {
            sent += chunk.length;
            const frame = chunked
              ? Buffer.concat([Buffer.from(`${chunk.length.toString(16)}\r\n`), chunk, Buffer.from("\r\n")])
              : chunk;
            if (!s.write(frame)) return void s.once("drain", pump);
          }
        };
        pump();
      });
    for (const chunked of [true, false]) {
      for (const path of [`/.api/webhooks/${randomUUID()}`, "/.api/webhooks/not-a-uuid", "/elsewhere"]) {
        const { sent, answer } = await push(path, chunked);
        // The answer, then the connection closed long before 16 MB (socket buffers hold a few MB).
        expect(answer).toMatch(/^HTTP\/1\.1 (404|400) /);
        expect(sent).toBeLessThan(12 * 1024 * 1024);
      }
    }
  });

  it("/healthz and /readyz on the main listener; metrics on the admin listener only", async () => {
    expect(await get(`${relay.url}/healthz`)).toEqual({ status: 200, text: "ok\n" });
    expect(await get(`${relay.url}/readyz`)).toEqual({ status: 200, text: "ready\n" });
    expect((await get(`${relay.url}/metrics`)).status).toBe(404);
    const m = await get(`${relay.adminUrl}/metrics`);
    expect(m.status).toBe(200);
    for (const name of [
      "sg_webhooks_relay_received_total",
      "sg_webhooks_relay_rejected_total",
      "sg_webhooks_relay_accepted_total",
      "sg_webhooks_relay_duplicates_total",
      "sg_webhooks_relay_forwarded_total",
      "sg_webhooks_relay_ignored_total",
      "sg_webhooks_relay_retried_total",
      "sg_webhooks_relay_dead_lettered_total",
      "sg_webhooks_relay_queue_depth",
      "sg_webhooks_relay_dead_letter_depth",
      "sg_webhooks_relay_forward_duration_seconds",
      "process_resident_memory_bytes",
    ]) {
      expect(m.text, name).toContain(`# TYPE ${name} `);
    }
    expect(m.text).toMatch(/sg_webhooks_relay_rejected_total\{reason="bad_signature"\} [1-9]/);
    expect(m.text).toMatch(/sg_webhooks_relay_rejected_total\{reason="malformed_uuid"\} [1-9]/);
    expect(m.text).toMatch(/sg_webhooks_relay_duplicates_total\{kind="GITHUB"\} 1/);
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

  it("refuses a receiver without a secret at start-up unless unsigned deliveries are allowed", async () => {
    const opts = {
      listen: { host: "127.0.0.1", port: 0 },
      forwardTo: "http://127.0.0.1:9",
      receivers: { list: [{ uuid: ids.GITLAB, codeHostKind: "GITLAB" as const, secrets: [] }] },
      logger: captureLogger().logger,
    };
    await expect(startRelay({ ...opts, dataDir: tempDir() })).rejects.toThrow(
      /has no secret.*--allow-unsigned/,
    );
    const r = await startRelay({ ...opts, dataDir: tempDir(), allowUnsigned: true });
    expect((await post(`${r.url}/.api/webhooks/${ids.GITLAB}`, {}, '{"object_kind":"push"}')).status).toBe(
      202,
    );
    await r.close();
  });

  /** A relay with no receivers and nowhere reachable to forward to: only its data directory matters. */
  const idleRelayOptions = (dataDir: string) => ({
    listen: { host: "127.0.0.1", port: 0 },
    forwardTo: "http://127.0.0.1:9",
    receivers: { list: [] },
    dataDir,
    logger: captureLogger().logger,
  });

  it("one relay per data directory", async () => {
    const dir = tempDir();
    const opts = idleRelayOptions(dir);
    const r = await startRelay(opts);
    await expect(startRelay(opts)).rejects.toThrow(/another relay .* uses/);
    await r.close();
    await (await startRelay(opts)).close();
  });

  it("a crashed relay's pid, now another live process's, does not lock the directory", async () => {
    const dir = tempDir();
    // After a crash or a power cut the dead relay's pid is reused (a live process that is no
    // relay), and in containers every relay has the same pid: neither may decide the lock.
    const reused = String(process.ppid);
    writeFileSync(join(dir, "relay.lock"), reused);
    writeFileSync(join(dir, "relay.pid"), reused);
    const opts = idleRelayOptions(dir);
    const r = await startRelay(opts);
    await expect(startRelay(opts)).rejects.toThrow(/another relay .* uses/);
    await r.close();
  });
});
