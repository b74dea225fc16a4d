// Found by the relay fault drill: while every forwarding slot waited on a slow Sourcegraph, the
// forwarder asked the store what was due about 900 times a second. The rows in flight counted as
// due (their retry time had passed), so it armed a 0 ms timer, found nothing it could take, and
// armed it again.
import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { afterEach, describe, expect, it } from "vitest";
import { type Relay, SqliteStore, startRelay } from "../../src/relay";
import type { DeliveryStore } from "../../src/relay/store";
import { type ReceiverFake, startReceiverFake } from "../fakes/receiver";
import { captureLogger, post, sha, tempDir, waitFor } from "./helpers";

/** The SQLite store, counting how often the forwarder asks it what is due. */
function counting(inner: DeliveryStore): DeliveryStore & { asked: number } {
  const s = {
    asked: 0,
    add: (d) => inner.add(d),
    due: (now, limit, exclude) => {
      s.asked++;
      return inner.due(now, limit, exclude);
    },
    complete: (id) => inner.complete(id),
    retryLater: (id, at, result) => inner.retryLater(id, at, result),
    deadLetter: (id, reason, result, now) => inner.deadLetter(id, reason, result, now),
    nextDueAt: (exclude) => {
      s.asked++;
      return inner.nextDueAt(exclude);
    },
    counts: () => inner.counts(),
    listDead: (limit) => inner.listDead(limit),
    replay: (ids, now) => inner.replay(ids, now),
    prune: (before) => inner.prune(before),
    close: () => inner.close(),
  } satisfies DeliveryStore & { asked: number };
  return s;
}

let fake: ReceiverFake | undefined;
let relay: Relay | undefined;
afterEach(async () => {
  fake?.clearFaults();
  await relay?.close();
  await fake?.close();
  relay = undefined;
  fake = undefined;
});

describe("forwarder: waiting on a slow Sourcegraph", () => {
  it("does not poll the store in a loop while its slots are busy and a backlog is due", async () => {
    const uuid = randomUUID();
    fake = await startReceiverFake([{ uuid, codeHostKind: "GITHUB", secret: "s" }]);
    fake.inject({ kind: "latency", ms: 1500, times: 100 });
    const store = counting(new SqliteStore(tempDir()));
    relay = await startRelay({
      listen: { host: "127.0.0.1", port: 0 },
      forwardTo: fake.url,
      receivers: { list: [{ uuid, codeHostKind: "GITHUB", secrets: ["s"] }] },
      dataDir: tempDir(),
      store,
      concurrency: 2,
      shutdownGraceMs: 100,
      logger: captureLogger().logger,
    });
    for (let i = 0; i < 5; i++) {
      const body = Buffer.from(JSON.stringify({ n: i }));
      const res = await post(
        `${relay.url}/.api/webhooks/${uuid}`,
        {
          "content-type": "application/json",
          "x-github-event": "push",
          "x-github-delivery": randomUUID(),
          "x-hub-signature-256": sha("sha256", "s", body),
        },
        body,
      );
      expect(res.status).toBe(202);
    }
    await waitFor(() => relay!.forwarder.busy === 2, 5000, "both slots to be taken");
    const before = store.asked;
    await sleep(600);
    // A few looks (the 1 s poll, the last hand-overs), not one per event-loop turn.
    expect(store.asked - before).toBeLessThan(10);
  });
});
