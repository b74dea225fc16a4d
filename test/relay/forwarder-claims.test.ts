// Proves the forwarder sends only what it holds a claim on, drops lost claims, and frees or releases what it leaves.
// A delivery the claim query returns while it is already being forwarded goes once; a claim
// reported lost at a heartbeat is dropped (counted, logged); a settlement that finds its claim
// taken is counted (at least once); what the relay holds at shutdown is released for any relay at
// once; and the claims a killed relay left in its data directory are freed when the next one starts.
import { randomUUID } from "node:crypto";
import { createServer, type Socket } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import type { Counter } from "prom-client";
import { afterEach, describe, expect, it } from "vitest";
import {
  createMetrics,
  Forwarder,
  type Relay,
  type RelayOptions,
  SqliteStore,
  startRelay,
} from "../../src/relay";
import type { DeliveryStore, Lease } from "../../src/relay/store";
import type { WaitingBounds } from "../../src/relay/waiting-deliveries";
import { type ReceiverFake, startReceiverFake } from "../../src/stand-ins/receiver";
import { captureLogger, post, sha, storeWith, tempDir, waitFor } from "./helpers";

/** Another relay on the same database. */
const OTHER: Lease = { owner: "another relay", ms: 60_000 };

let fake: ReceiverFake | undefined;
let relay: Relay | undefined;
const stores: SqliteStore[] = [];
afterEach(async () => {
  fake?.clearFaults();
  await relay?.close();
  await fake?.close();
  for (const s of stores.splice(0)) await s.close();
  relay = undefined;
  fake = undefined;
});

/** A counter's value, summed over the series whose labels include `labels`. */
async function count(c: Counter<string>, labels: Record<string, string> = {}): Promise<number> {
  const { values } = await c.get();
  return values
    .filter((v) => Object.entries(labels).every(([k, want]) => v.labels[k] === want))
    .reduce((sum, v) => sum + v.value, 0);
}

function sqlite(dir = tempDir()): SqliteStore {
  const s = new SqliteStore(dir);
  stores.push(s);
  return s;
}

async function start(over: Partial<RelayOptions> & { secret?: string } = {}) {
  const uuid = randomUUID();
  const secret = over.secret ?? "s";
  fake = await startReceiverFake([{ uuid, codeHostKind: "GITHUB", secret }]);
  const log = captureLogger();
  relay = await startRelay({
    listen: { host: "127.0.0.1", port: 0 },
    forwardTo: fake.url,
    receivers: { list: [{ uuid, codeHostKind: "GITHUB", secrets: [secret] }] },
    dataDir: tempDir(),
    logger: log.logger,
    ...over,
  });
  const send = async (n: number) => {
    const deliveryId = randomUUID();
    const body = Buffer.from(JSON.stringify({ n }));
    const res = await post(
      `${relay!.url}/.api/webhooks/${uuid}`,
      {
        "content-type": "application/json",
        "x-github-event": "push",
        "x-github-delivery": deliveryId,
        "x-hub-signature-256": sha("sha256", secret, body),
      },
      body,
    );
    expect(res.status).toBe(202);
    return deliveryId;
  };
  return { relay, fake, log, send, uuid };
}

const recordOf = async (store: DeliveryStore, deliveryId: string) =>
  (await store.records({ deliveryId }, 1))[0];

describe("forwarder: claims", () => {
  it("a delivery being forwarded that the claim query returns again (its lease ended) is sent once", async () => {
    const inner = sqlite();
    // Heartbeats are held up (a stalled connection) until the claim query has returned the
    // delivery in flight again, its lease having ended; then they go through.
    let reached!: () => void;
    const reclaimed = new Promise<void>((resolve) => {
      reached = resolve;
    });
    const claimed: number[] = [];
    const store = storeWith(inner, {
      heartbeat: async (claims, _now, lease) => {
        await reclaimed;
        return inner.heartbeat(claims, Date.now(), lease);
      },
      claim: async (now, limit, lease) => {
        const got = await inner.claim(now, limit, lease);
        claimed.push(...got.map((d) => d.id));
        if (got.length > 0) reached();
        return got;
      },
    });
    const { fake, send } = await start({ store, leaseMs: 200 });
    fake.inject({ kind: "latency", ms: 2500, times: 1 });
    const sent = Date.now();
    const id = await send(1);
    await waitFor(async () => (await recordOf(store, id))?.state === "delivered", 10_000, "the delivery");
    const { id: rowId } = (await recordOf(store, id))!;
    // The query did return it while it was in flight; it went out once, and was settled by the
    // newest claim.
    expect(claimed).toEqual([rowId]);
    // Past the first request's latency, a second request (answered at once) would have been seen
    // as well: Sourcegraph saw one.
    await sleep(Math.max(0, sent + 3000 - Date.now()));
    expect(fake.seen.map((d) => d.headers["x-github-delivery"])).toEqual([id]);
    expect(await count(relay!.metrics.claimsLost)).toBe(0);
    expect(await recordOf(store, id)).toMatchObject({ state: "delivered", attempts: 1, lastStatus: 200 });
  });

  it("claims reported lost at a heartbeat are dropped: the waiting delivery is not sent, the one in flight not settled", async () => {
    const dir = tempDir();
    const store = sqlite(dir);
    const other = sqlite(dir);
    const { fake, log, send } = await start({ store, leaseMs: 600, concurrency: 1 });
    fake.inject({ kind: "latency", ms: 1500, times: 1 });
    const first = await send(1);
    const second = await send(2);
    await waitFor(
      () => relay!.forwarder.busy === 1 && relay!.forwarder.claimsHeld === 2,
      5000,
      "one in flight",
    );
    // Another relay takes both over (as after a lease ended).
    expect(await other.sweep(Number.MAX_SAFE_INTEGER)).toBe(2);
    expect(await other.claim(Date.now(), 10, OTHER)).toHaveLength(2);
    await waitFor(
      async () => (await count(relay!.metrics.claimsLost, { at: "heartbeat" })) === 2,
      5000,
      "the loss",
    );
    expect(relay!.forwarder.claimsHeld).toBe(0);
    await waitFor(() => relay!.forwarder.busy === 0, 5000, "the forward in flight");
    await sleep(300);
    // The one in flight reached Sourcegraph; the waiting one was dropped here; neither was settled.
    expect(fake.accepted.map((d) => d.headers["x-github-delivery"])).toEqual([first]);
    expect(await recordOf(store, first)).toMatchObject({ state: "pending", attempts: 0 });
    expect(await recordOf(store, second)).toMatchObject({ state: "pending", attempts: 0 });
    const text = log.lines.join("");
    expect(text).toContain("lost the claim on a delivery waiting to be forwarded");
    expect(text).toContain("lost the claim on a delivery being forwarded");
    expect(log.lines.filter((l) => l.includes("lost the claim")).every((l) => l.includes('"level":40'))).toBe(
      true,
    );
  });

  it("a settlement whose claim another relay took is counted and logged, and changes nothing", async () => {
    const dir = tempDir();
    const store = sqlite(dir);
    const other = sqlite(dir);
    const { fake, log, send } = await start({ store, concurrency: 1 });
    fake.inject({ kind: "latency", ms: 1000, times: 1 });
    const id = await send(1);
    await waitFor(() => relay!.forwarder.busy === 1, 5000, "the forward");
    expect(await other.sweep(Number.MAX_SAFE_INTEGER)).toBe(1);
    const [taken] = await other.claim(Date.now(), 10, OTHER);
    await waitFor(
      async () => (await count(relay!.metrics.claimsLost, { at: "settle" })) === 1,
      5000,
      "the settlement",
    );
    expect(fake.accepted).toHaveLength(1);
    expect(await recordOf(store, id)).toMatchObject({ state: "pending", attempts: 0 });
    expect(log.lines.join("")).toContain("another relay took it");
    // The relay that holds it now settles it.
    expect(await other.complete(taken!, "delivered", { status: 200 }, Date.now())).toBe(true);
  });

  it("a renewal that reads the row after the relay's own settlement committed is not a lost claim", async () => {
    const inner = sqlite();
    // The settlement commits, and the relay's next heartbeat runs before the settlement's answer
    // comes back (as on a pool, where the two go through different connections): the heartbeat
    // finds the claim gone, though nothing was lost.
    let settled: number | undefined;
    let reported = 0;
    let renewalSeen!: () => void;
    const renewal = new Promise<void>((resolve) => {
      renewalSeen = resolve;
    });
    const store = storeWith(inner, {
      heartbeat: async (claims, now, lease) => {
        const lost = await inner.heartbeat(claims, now, lease);
        if (settled !== undefined && lost.some((c) => c.id === settled)) {
          reported++;
          setTimeout(renewalSeen, 20);
        }
        return lost;
      },
      complete: async (claim, outcome, result, now) => {
        const ok = await inner.complete(claim, outcome, result, now);
        settled = claim.id;
        await renewal;
        return ok;
      },
    });
    const { send } = await start({ store, leaseMs: 600 });
    const id = await send(1);
    await waitFor(async () => (await recordOf(store, id))?.state === "delivered", 10_000, "the delivery");
    await waitFor(() => relay!.forwarder.claimsHeld === 0, 5000, "the settlement's answer");
    expect(reported).toBeGreaterThan(0);
    expect(await count(relay!.metrics.claimsLost)).toBe(0);
  });

  it("at shutdown, the claims of deliveries still waiting are released: free for another relay at once", async () => {
    const dir = tempDir();
    // A retry far off, so that the forward cut short is not due again when the store is read.
    const {
      fake,
      send,
      relay: r,
    } = await start({
      dataDir: dir,
      concurrency: 1,
      shutdownGraceMs: 100,
      retryBaseMs: 60_000,
      retryMaxDelayMs: 60_000,
    });
    fake.inject({ kind: "latency", ms: 3000, times: 1 });
    await send(1);
    const waiting = [await send(2), await send(3)];
    await waitFor(() => r.forwarder.busy === 1 && r.forwarder.claimsHeld === 3, 5000, "two waiting");
    await r.close();
    expect(await count(r.metrics.claimsReleased)).toBe(2);
    relay = undefined;
    // What was waiting is free now; the aborted forward ended its claim with a retry.
    const reopened = sqlite(dir);
    const free = await reopened.claim(Date.now(), 10, OTHER);
    expect(free.map((d) => d.deliveryId).sort()).toEqual([...waiting].sort());
  });

  /**
   * A forwarder whose one slot a Sourcegraph that never answers holds, handed `offered` deliveries of
   * `size` bytes in one go, as a burst of requests would, with `bounds` on what waits in memory.
   * Resolves with how many claims it released, and what another relay then claims from the store.
   */
  async function burst(offered: number, size: number, bounds: WaitingBounds) {
    const dir = tempDir();
    const store = sqlite(dir);
    const other = sqlite(dir);
    const held: Socket[] = [];
    const blackHole = createServer((socket) => {
      held.push(socket);
    });
    await new Promise<void>((resolve) => blackHole.listen(0, "127.0.0.1", resolve));
    const uuid = randomUUID();
    const lease: Lease = { owner: "this relay", ms: 60_000 };
    const metrics = createMetrics(async () => ({ pending: 0, dead: 0 }));
    const forwarder = new Forwarder({
      store,
      receiver: () => ({ uuid, codeHostKind: "GITHUB", secrets: ["s"] }),
      forwardTo: `http://127.0.0.1:${(blackHole.address() as { port: number }).port}`,
      metrics,
      logger: captureLogger().logger,
      concurrency: 1,
      maxAgeMs: 86_400_000,
      retryBaseMs: 1000,
      retryMaxDelayMs: 1000,
      timeoutMs: 30_000,
      lease,
      waitingBounds: bounds,
    });
    try {
      forwarder.start();
      const base = {
        receiverUuid: uuid,
        kind: "GITHUB" as const,
        event: "push",
        headers: { "x-github-event": "push" },
        body: Buffer.alloc(size, "x"),
        receivedAt: Date.now(),
      };
      const deliveries = Array.from({ length: offered }, (_, i) => ({ ...base, deliveryId: `many-${i}` }));
      const added = await Promise.all(deliveries.map((d) => store.add(d, lease)));
      for (const [i, r] of added.entries()) {
        forwarder.offer({
          ...deliveries[i]!,
          id: r.id,
          attempts: 0,
          windowStart: base.receivedAt,
          claimId: r.claimId!,
        });
      }
      await waitFor(() => forwarder.busy === 1, 5000, "the forward in flight");
      await waitFor(async () => (await count(metrics.claimsReleased)) > 0, 5000, "the releases");
      await sleep(100);
      const released = await count(metrics.claimsReleased);
      expect(forwarder.claimsHeld).toBe(offered - released);
      // Free in the store at once: another relay (or this one, when it has room) takes them.
      const free = await other.claim(Date.now(), offered, OTHER);
      expect(free.map((d) => d.deliveryId)).toEqual(
        deliveries.slice(offered - released).map((d) => d.deliveryId),
      );
      return released;
    } finally {
      await forwarder.stop();
      for (const socket of held) socket.destroy();
      await new Promise((resolve) => blackHole.close(resolve));
      // Stopped: what it held is given back (the forward it cut short ends as a retry).
      expect(await count(metrics.claimsReleased)).toBe(offered - 1);
      expect(forwarder.claimsHeld).toBe(0);
    }
  }

  it("holds at most its bound of handed-over deliveries in memory, and releases the claims of the rest for the store to supply", async () => {
    // Past 24 waiting, the rest do not fit (5 or 6 of them, as the first one did or did not go in
    // flight before the next came).
    expect([5, 6]).toContain(await burst(30, 2, { deliveries: 24, bytes: 1024 * 1024 }));
  });

  it("holds at most its bound of body bytes in memory, whatever the number of deliveries", async () => {
    // 10 bodies of 1,000 bytes fit in 10,000: of 30, 19 or 20 go back to the store.
    expect([19, 20]).toContain(await burst(30, 1000, { deliveries: 4096, bytes: 10_000 }));
  });

  it("a relay started on a data directory frees the claims a killed relay left there, instead of waiting for their lease", async () => {
    const dir = tempDir();
    const killed = new SqliteStore(dir);
    const uuid = randomUUID();
    const body = Buffer.from('{"left":"behind"}');
    const added = await killed.add(
      {
        receiverUuid: uuid,
        kind: "GITHUB",
        event: "push",
        deliveryId: "left-behind",
        headers: { "content-type": "application/json", "x-github-event": "push" },
        body,
        receivedAt: Date.now(),
      },
      { owner: "a relay killed with kill -9", ms: 3_600_000 },
    );
    expect(added.claimId).toBeDefined();
    // Closed without releasing: as much as a killed process leaves behind.
    await killed.close();

    fake = await startReceiverFake([{ uuid, codeHostKind: "GITHUB", secret: "s" }]);
    const log = captureLogger();
    relay = await startRelay({
      listen: { host: "127.0.0.1", port: 0 },
      forwardTo: fake.url,
      receivers: { list: [{ uuid, codeHostKind: "GITHUB", secrets: ["s"] }] },
      dataDir: dir,
      leaseMs: 3_600_000,
      logger: log.logger,
    });
    await waitFor(() => fake!.accepted.length === 1, 10_000, "the delivery left behind");
    expect(fake.accepted[0]!.body.equals(body)).toBe(true);
    expect(await count(relay.metrics.claimsSwept)).toBe(1);
    expect(log.lines.join("")).toContain("freed the claims a previous relay on this data directory left");
    const ready = log.lines.find((l) => l.includes('"relay ready"'))!;
    expect(JSON.parse(ready)).toMatchObject({ owner: relay.owner, leaseMs: 3_600_000 });
  });
});
