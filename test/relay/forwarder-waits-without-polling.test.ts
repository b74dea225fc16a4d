// Proves the forwarder waits without polling the store while every slot waits on a slow Sourcegraph.
// Found by the relay fault drill: while every forwarding slot waited on a slow Sourcegraph, the
// forwarder asked the store what was due about 900 times a second. The rows in flight counted as
// due (their retry time had passed), so it armed a 0 ms timer, found nothing it could take, and
// armed it again. With claims, the same holds for a backlog in the store that no slot is free for.
import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { afterEach, describe, expect, it } from "vitest";
import { type Relay, SqliteStore, startRelay } from "../../src/relay";
import { type ReceiverFake, startReceiverFake } from "../../src/stand-ins/receiver";
import { captureLogger, post, sha, storeWith, tempDir, waitFor } from "./helpers";

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
    // The SQLite store, counting how often the forwarder asks it what is due.
    const inner = new SqliteStore(tempDir());
    let asked = 0;
    const store = storeWith(inner, {
      claim: (now, limit, lease) => {
        asked++;
        return inner.claim(now, limit, lease);
      },
      nextDueAt: (owner) => {
        asked++;
        return inner.nextDueAt(owner);
      },
    });
    // A backlog in the store as well as in memory: free and due, as after a restart.
    for (let i = 0; i < 3; i++) {
      const added = await inner.add(
        {
          receiverUuid: uuid,
          kind: "GITHUB",
          event: "push",
          headers: { "content-type": "application/json", "x-github-event": "push" },
          body: Buffer.from(JSON.stringify({ backlog: i })),
          receivedAt: Date.now(),
        },
        { owner: "a relay gone", ms: 60_000 },
      );
      await inner.release([{ id: added.id, claimId: added.claimId! }]);
    }
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
    const before = asked;
    await sleep(600);
    // A few looks (the 1 s poll, the last hand-overs), not one per event-loop turn.
    expect(asked - before).toBeLessThan(10);
  });
});
