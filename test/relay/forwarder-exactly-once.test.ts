// Proves each delivery is forwarded once when deliveries arrive together and the store answers late.
// The relay fault drill (bench/drill-relay.mjs) saw deliveries reach Sourcegraph twice with no fault
// at all, once fresh deliveries were handed to the forwarder in memory: a delivery committed in the
// same turn as another was offered after the store's query for what was due had already read it,
// and went out from both. A fresh delivery is now stored claimed by the relay that took it, so the
// query (a claim) cannot return it. Here the store's answers arrive late, as from a database across
// a network (or a worker thread), which makes the window certain.
import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import pino from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { type Relay, SqliteStore, startRelay } from "../../src/relay";
import type { DeliveryStore } from "../../src/relay/store";
import { type ReceiverFake, startReceiverFake } from "../../src/stand-ins/receiver";
import { post, sha, storeWith, tempDir, waitFor } from "./helpers";

/**
 * The SQLite store, but each answer arrives some time after the work was done, as from a database
 * across a network: a commit is confirmed, and rows read are delivered, `ms` later.
 */
function remote(inner: DeliveryStore, ms: number): DeliveryStore {
  const later = async <T>(work: Promise<T>): Promise<T> => {
    const result = await work;
    await sleep(ms);
    return result;
  };
  return storeWith(inner, {
    add: (d, lease) => later(inner.add(d, lease)),
    claim: (now, limit, lease) => later(inner.claim(now, limit, lease)),
  });
}

let fake: ReceiverFake | undefined;
let relay: Relay | undefined;
afterEach(async () => {
  await relay?.close();
  await fake?.close();
  relay = undefined;
  fake = undefined;
});

describe("relay: each delivery is forwarded once when nothing fails", () => {
  it("even when deliveries arrive together and the store answers late", async () => {
    const uuid = randomUUID();
    fake = await startReceiverFake([{ uuid, codeHostKind: "GITHUB", secret: "current" }]);
    relay = await startRelay({
      listen: { host: "127.0.0.1", port: 0 },
      forwardTo: fake.url,
      receivers: { list: [{ uuid, codeHostKind: "GITHUB", secrets: ["current"] }] },
      dataDir: tempDir(),
      store: remote(new SqliteStore(tempDir()), 10),
      logger: pino({ level: "silent" }),
    });
    const sent: string[] = [];
    const deliver = async (n: number) => {
      const id = randomUUID();
      const body = Buffer.from(JSON.stringify({ action: "opened", number: n }));
      const res = await post(
        `${relay!.url}/.api/webhooks/${uuid}`,
        {
          "content-type": "application/json",
          "x-github-event": "pull_request",
          "x-github-delivery": id,
          "x-hub-signature-256": sha("sha256", "current", body),
        },
        body,
      );
      expect(res.status).toBe(202);
      sent.push(id);
    };
    for (let round = 0; round < 25; round++) {
      await Promise.all([0, 1, 2, 3].map((i) => deliver(round * 4 + i)));
    }
    await waitFor(
      async () => (await relay!.store.counts()).pending === 0 && relay!.forwarder.busy === 0,
      10_000,
      "the queue to drain",
    );
    // A second copy, if any, is already on its way.
    await sleep(100);
    const got = fake.accepted.map((d) => String(d.headers["x-github-delivery"]));
    const twice = got.filter((id, i) => got.indexOf(id) !== i);
    expect(twice).toEqual([]);
    expect(new Set(got)).toEqual(new Set(sent));
  });
});
