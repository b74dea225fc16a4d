// Proves the relay answers requests as Sourcegraph's receiver would, and where it serves health and metrics.
// Malformed and unknown UUIDs, events Sourcegraph does not take, bad signatures, a repeated
// signature header (the one deviation here), the body limit, and which listener serves what.
import { randomUUID } from "node:crypto";
import { connect } from "node:net";
import { request } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Relay, startRelay } from "../../src/relay";
import { type ReceiverFake, startReceiverFake } from "../../src/stand-ins/receiver";
import { captureLogger, type Fixture, get, post, sha, TEST_SECRET, tempDir } from "./helpers";

const ids = {
  GITHUB: randomUUID(),
  GITLAB: randomUUID(),
  BITBUCKETSERVER: randomUUID(),
  BITBUCKETCLOUD: randomUUID(),
};
const kinds = Object.entries(ids) as Array<[Fixture["kind"], string]>;

let fake: ReceiverFake;
let relay: Relay;
const logs = captureLogger();

beforeAll(async () => {
  fake = await startReceiverFake(
    kinds.map(([codeHostKind, uuid]) => ({ uuid, codeHostKind, secret: TEST_SECRET })),
  );
  relay = await startRelay({
    listen: { host: "127.0.0.1", port: 0 },
    adminListen: { host: "127.0.0.1", port: 0 },
    forwardTo: fake.url,
    receivers: {
      list: kinds.map(([codeHostKind, uuid]) => ({ uuid, codeHostKind, secrets: [TEST_SECRET] })),
    },
    dataDir: tempDir(),
    maxBodyBytes: 64 * 1024,
    logger: logs.logger,
  });
});

afterAll(async () => {
  await relay?.close();
  await fake?.close();
});

const hook = (uuid: string) => `${relay.url}/.api/webhooks/${uuid}`;

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
});

describe("relay: health checks and metrics", () => {
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
      "sg_webhooks_relay_unverified_bytes",
      "process_resident_memory_bytes",
    ]) {
      expect(m.text, name).toContain(`# TYPE ${name} `);
    }
    expect(m.text).toMatch(/sg_webhooks_relay_rejected_total\{reason="bad_signature"\} [1-9]/);
    expect(m.text).toMatch(/sg_webhooks_relay_rejected_total\{reason="malformed_uuid"\} [1-9]/);
  });

  it("logs carry no secret and no body", () => {
    const all = logs.lines.join("");
    expect(all).toContain('"msg":"rejected"');
    for (const s of [TEST_SECRET, '"zen"', '"a":"b"', "object_kind"]) expect(all).not.toContain(s);
  });
});
