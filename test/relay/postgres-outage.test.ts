// Proves a PostgreSQL restart mid-use loses no acknowledged delivery: calls during the outage reject at once as unavailable, the store says so and recovers by itself, and the LISTEN connection subscribes again.
import { createServer } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { expect, it } from "vitest";
import { openPostgresStore, PostgresUnavailableError } from "../../src/relay/postgres";
import type { NewDelivery } from "../../src/relay/store";
import { describePostgres } from "../harness/postgres";
import { captureLogger, waitFor } from "./helpers";

const lease = { owner: "relay-a", ms: 60_000 };
const delivery = (n: number): NewDelivery => ({
  receiverUuid: "r1",
  kind: "GITLAB",
  event: "Push Hook",
  deliveryId: `d-${n}`,
  headers: { "x-gitlab-event": "Push Hook" },
  body: Buffer.from(`{"n":${n}}`),
  receivedAt: 1000 + n,
});

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describePostgres("the PostgreSQL store through an outage", (db) => {
  it("rejects calls while PostgreSQL restarts, loses no acknowledged add, and recovers by itself", async () => {
    const url = await db.database();
    const { logger, lines } = captureLogger();
    const store = await openPostgresStore({ connectionString: url, poolSize: 4, logger });
    const other = await openPostgresStore({ connectionString: url, poolSize: 1 });
    try {
      const changes: boolean[] = [];
      store.onAvailability((available) => changes.push(available));
      let wakes = 0;
      store.onWake(() => wakes++);
      await waitFor(() => store.listening);

      // Deliveries keep arriving through the restart, as intake would store them.
      const acked: number[] = [];
      const failures: unknown[] = [];
      let arriving = true;
      const intake = (async () => {
        for (let n = 0; arriving; n++) {
          try {
            acked.push((await store.add(delivery(n), lease)).id);
          } catch (err) {
            failures.push(err);
          }
          await sleep(5);
        }
      })();
      await waitFor(() => acked.length >= 20);

      const restarted = db.server.restart({ mode: "fast", downMs: 3000 });
      await waitFor(() => !store.available, 10_000);
      // A call made while PostgreSQL is down rejects before it is back, rather than waiting for it.
      const during = await Promise.race([
        store.counts().then(
          () => "answered",
          (err: unknown) => err,
        ),
        restarted.then(() => "restarted"),
      ]);
      expect(during).toBeInstanceOf(PostgresUnavailableError);
      expect((during as Error).message).toMatch(
        /^PostgreSQL at postgres:\/\/postgres@127\.0\.0\.1:\d+\/\S+ is unavailable \(counting deliveries\)/,
      );
      await restarted;

      await waitFor(() => store.available, 10_000);
      const before = acked.length;
      await waitFor(() => acked.length >= before + 20, 10_000);
      arriving = false;
      await intake;
      expect(failures.length).toBeGreaterThan(0);
      expect(failures.every((err) => err instanceof PostgresUnavailableError)).toBe(true);
      expect(changes).toEqual([false, true]);
      expect(lines.join("")).toMatch(/PostgreSQL is unavailable/);
      expect(lines.join("")).toMatch(/PostgreSQL answers again/);

      // Every add that resolved is stored: an acknowledged delivery survives the restart.
      const stored = new Set((await store.records({}, 100_000)).map((r) => r.id));
      expect(acked.filter((id) => !stored.has(id))).toEqual([]);
      expect(stored.size).toBe(new Set(acked).size);

      // The LISTEN connection subscribed again: another relay's replay wakes this one.
      await waitFor(() => store.listening, 10_000);
      const added = await other.add({ ...delivery(100_000), deliveryId: "dead-one" }, lease);
      await other.deadLetter(
        { id: added.id, claimId: added.claimId! },
        "bad_signature",
        { status: 400 },
        9000,
      );
      const wakesBefore = wakes;
      expect(await other.replay({ ids: [added.id] }, 9001)).toBe(1);
      await waitFor(() => wakes > wakesBefore, 10_000);
    } finally {
      await store.close();
      await other.close();
    }
  });

  it("rejects at once, saying so, when nothing listens at the database's address", async () => {
    const port = await freePort();
    const url = `postgres://relay@127.0.0.1:${port}/sg`;
    const err = await openPostgresStore({ connectionString: url }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PostgresUnavailableError);
    expect((err as Error).message).toBe(
      `PostgreSQL at ${url} is unavailable (opening the relay's tables): connect ECONNREFUSED 127.0.0.1:${port}`,
    );
  });
});
