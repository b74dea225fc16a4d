// Proves the PostgreSQL store wakes other relays (NOTIFY) after exactly the commits that make work for them (retry later, release, replay, sweep), never after one that frees nothing (add, revival, settling).
import pg from "pg";
import { expect, it } from "vitest";
import { openPostgresStore } from "../../src/relay/postgres";
import type { NewDelivery } from "../../src/relay/store";
import { describePostgres } from "../harness/postgres";
import { waitFor } from "./helpers";

const lease = { owner: "relay-b", ms: 1000 };
const delivery = (deliveryId: string): NewDelivery => ({
  receiverUuid: "r1",
  kind: "BITBUCKETCLOUD",
  event: "repo:push",
  deliveryId,
  headers: { "x-event-key": "repo:push" },
  body: Buffer.from(deliveryId),
  receivedAt: 1000,
});

describePostgres("wake-ups through LISTEN/NOTIFY", (db) => {
  it("are sent after the commits that free or queue work, and only those", async () => {
    const url = await db.database();
    const a = await openPostgresStore({ connectionString: url });
    const b = await openPostgresStore({ connectionString: url });
    // Every notification on the store's channel, with its payload, in commit order.
    const heard: string[] = [];
    const listener = new pg.Client({ connectionString: url });
    await listener.connect();
    listener.on("notification", (m) => heard.push(m.payload ?? ""));
    await listener.query('LISTEN "sg_webhooks_wake"');
    const marker = async (name: string) => {
      await listener.query("SELECT pg_notify('sg_webhooks_wake', $1)", [name]);
    };
    try {
      let wakes = 0;
      a.onWake(() => wakes++);
      await waitFor(() => a.listening);
      // Subscribing wakes once: what was sent before it is not known.
      expect(wakes).toBe(1);

      const x = await b.add(delivery("x"), lease);
      const y = await b.add(delivery("y"), lease);
      await marker("added");
      expect(await b.retryLater({ id: x.id, claimId: x.claimId! }, 5000, { status: 503 }, 1100)).toBe(true);
      await marker("retried");
      await b.release([{ id: y.id, claimId: y.claimId! }]);
      await marker("released");
      const [claimed] = await b.claim(1200, 1, lease);
      expect(await b.deadLetter(claimed!, "rejected", { status: 400 }, 1300)).toBe(true);
      await marker("dead");
      const revived = await b.add({ ...delivery(claimed!.deliveryId!), receivedAt: 1400 }, lease);
      expect(revived.revived).toBe(true);
      await marker("revived");
      expect(await b.sweep(1400)).toBe(0);
      await marker("swept nothing");
      expect(await b.sweep(2401)).toBe(1);
      await marker("swept");
      const [again] = await b.claim(2500, 1, lease);
      expect(await b.deadLetter(again!, "rejected", { status: 400 }, 2600)).toBe(true);
      expect(await b.replay("all", 2700)).toBe(1);
      await marker("replayed");
      const [last] = await b.claim(2800, 5, lease);
      expect(await b.complete(last!, "delivered", { status: 200 }, 2900)).toBe(true);
      await marker("end");

      await waitFor(() => heard.includes("end"));
      expect(heard).toEqual([
        "added",
        "",
        "retried",
        "",
        "released",
        "dead",
        "revived",
        "swept nothing",
        "",
        "swept",
        "",
        "replayed",
        "end",
      ]);
      // The store's own listener heard them too.
      await waitFor(() => wakes >= 1 + heard.length);
    } finally {
      await listener.end();
      await a.close();
      await b.close();
    }
  });
});
