// Proves the relay records Sourcegraph's answer to each delivery, keys GitHub's by hook, revives dead ones.
// End to end through a relay: one GitHub event sent by two hooks reaches Sourcegraph twice and a
// hook's redelivery does not, Sourcegraph's failures and final answer are recorded, and a dead
// letter is revived by the code host's redelivery. The stores' own part (dedupe key, revival, the
// records kept for the dedupe window) is the store contract's (store-contract-records.ts).
import { randomUUID } from "node:crypto";
import pino from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { type Relay, startRelay } from "../../src/relay";
import { type ReceiverFake, startReceiverFake } from "../../src/stand-ins/receiver";
import { post, sha, tempDir, waitFor } from "./helpers";

describe("relay: records and revival end to end", () => {
  let fake: ReceiverFake | undefined;
  let relay: Relay | undefined;
  afterEach(async () => {
    await relay?.close();
    await fake?.close();
    relay = undefined;
    fake = undefined;
  });

  const github = (secret: string, payload: Buffer, delivery: string, hook?: string) => ({
    "content-type": "application/json",
    "x-github-event": "push",
    "x-github-delivery": delivery,
    ...(hook ? { "x-github-hook-id": hook } : {}),
    "x-hub-signature-256": sha("sha256", secret, payload),
  });

  async function start(sourcegraphSecret: string) {
    const uuid = randomUUID();
    fake = await startReceiverFake([{ uuid, codeHostKind: "GITHUB", secret: sourcegraphSecret }]);
    relay = await startRelay({
      listen: { host: "127.0.0.1", port: 0 },
      forwardTo: fake.url,
      receivers: { list: [{ uuid, codeHostKind: "GITHUB", secrets: ["relay-secret"] }] },
      dataDir: tempDir(),
      retryBaseMs: 5,
      retryMaxDelayMs: 20,
      logger: pino({ level: "silent" }),
    });
    return { uuid, url: `${relay.url}/.api/webhooks/${uuid}` };
  }

  const recordsOf = (deliveryId: string) => relay!.store.records({ deliveryId }, 10);

  it("one GitHub event through two hooks reaches Sourcegraph twice; a hook's redelivery does not", async () => {
    const { url } = await start("relay-secret");
    const payload = Buffer.from('{"ref":"refs/heads/main"}');
    const guid = randomUUID();
    const send = async (hook: string) =>
      (await post(url, github("relay-secret", payload, guid, hook), payload)).text.trim();
    expect(await send("101")).toBe("accepted");
    expect(await send("202")).toBe("accepted");
    expect(await send("101")).toBe("already accepted");
    await waitFor(
      async () => (await recordsOf(guid)).every((r) => r.state === "delivered") && fake!.accepted.length >= 2,
      10_000,
      "both hooks' deliveries",
    );
    expect(fake!.accepted).toHaveLength(2);
    expect(fake!.accepted.map((d) => d.headers["x-github-hook-id"]).sort()).toEqual(["101", "202"]);
    expect((await recordsOf(guid)).map((r) => [r.hookId, r.state, r.lastStatus, r.attempts]).sort()).toEqual([
      ["101", "delivered", 200, 1],
      ["202", "delivered", 200, 1],
    ]);
  });

  it("records Sourcegraph's failures and its final answer", async () => {
    const { url } = await start("relay-secret");
    fake!.outage = 503;
    const payload = Buffer.from('{"ref":"refs/heads/outage"}');
    const guid = randomUUID();
    expect((await post(url, github("relay-secret", payload, guid, "7"), payload)).status).toBe(202);
    await waitFor(async () => ((await recordsOf(guid))[0]?.attempts ?? 0) >= 2, 10_000, "retries");
    expect((await recordsOf(guid))[0]).toMatchObject({ state: "pending", lastStatus: 503 });
    fake!.outage = undefined;
    await waitFor(async () => (await recordsOf(guid))[0]?.state === "delivered", 10_000, "delivery");
    const [record] = await recordsOf(guid);
    expect(record).toMatchObject({ state: "delivered", lastStatus: 200, hookId: "7" });
    expect(record!.attempts).toBeGreaterThanOrEqual(3);
    expect(record!.settledAt).toBeGreaterThanOrEqual(record!.receivedAt);
  });

  it("a dead letter is revived by the code host's redelivery once the cause is fixed, and forwarded", async () => {
    // Sourcegraph holds another secret: the forwarded delivery is refused and dead-lettered.
    const { uuid, url } = await start("sourcegraph-secret");
    const payload = Buffer.from('{"ref":"refs/heads/dead"}');
    const guid = randomUUID();
    expect((await post(url, github("relay-secret", payload, guid, "5"), payload)).status).toBe(202);
    await waitFor(async () => (await recordsOf(guid))[0]?.state === "dead", 10_000, "the dead letter");
    expect((await recordsOf(guid))[0]).toMatchObject({ reason: "bad_signature", lastStatus: 400 });

    // Fixed in Sourcegraph; the code host redelivers (the same GUID and hook, bytes signed again).
    fake!.receivers.get(uuid)!.secret = "relay-secret";
    const redelivered = Buffer.from('{"ref":"refs/heads/dead","again":true}');
    const res = await post(url, github("relay-secret", redelivered, guid, "5"), redelivered);
    expect(res.text.trim()).toBe("accepted");
    await waitFor(
      async () => (await recordsOf(guid))[0]?.state === "delivered",
      10_000,
      "the revived delivery",
    );
    expect(fake!.accepted.map((d) => d.body.toString())).toEqual([redelivered.toString()]);
    expect(await recordsOf(guid)).toHaveLength(1);
    expect((await recordsOf(guid))[0]).toMatchObject({ attempts: 1, lastStatus: 200 });
    // Delivered now: a further redelivery is a duplicate.
    expect((await post(url, github("relay-secret", redelivered, guid, "5"), redelivered)).text.trim()).toBe(
      "already accepted",
    );
  });
});
