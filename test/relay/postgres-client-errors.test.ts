// Proves a PostgreSQL restart does not end the process through a connection the store has checked out (a session between statements, or mid-statement): the error event is handled, the call rejects, and the store works afterwards.
import { setTimeout as sleep } from "node:timers/promises";
import { afterEach, beforeEach, expect, it } from "vitest";
import { openPostgresStore, type PostgresStore, PostgresUnavailableError } from "../../src/relay/postgres";
import { describePostgres } from "../harness/postgres";
import { waitFor } from "./helpers";

type Query = <R extends object>(text: string, params: unknown[]) => Promise<R[]>;
/** The store's own `session` (private): one checked-out connection, as replay, prune and copy use. */
type Session = <T>(doing: string, work: (query: Query) => Promise<T>) => Promise<T>;
const sessionOf = (store: PostgresStore): Session =>
  (store as unknown as { session: Session }).session.bind(store);

const lease = { owner: "relay-a", ms: 60_000 };

describePostgres("the PostgreSQL store's checked-out connections through a restart", (db) => {
  const uncaught: unknown[] = [];
  const onUncaught = (err: unknown) => uncaught.push(err);
  beforeEach(() => {
    uncaught.length = 0;
    process.on("uncaughtException", onUncaught);
  });
  afterEach(() => {
    process.off("uncaughtException", onUncaught);
  });

  it("handles the error of a connection held between statements or mid-statement", async () => {
    const url = await db.database();
    const store = await openPostgresStore({ connectionString: url, poolSize: 4 });
    try {
      const session = sessionOf(store);
      let restarted = false;
      // Holds its connection idle inside a transaction until the restart is over: the server's
      // 57P01 arrives with no query in flight, as an 'error' event of the client alone.
      const idle = session("holding a transaction", async (query) => {
        await query("BEGIN", []);
        await query("SELECT 1", []);
        await waitFor(() => restarted, 30_000);
        await query("SELECT 1", []);
      }).then(
        () => "finished",
        (err: unknown) => err,
      );
      // Holds its connection in a statement that the restart cuts.
      const busy = session("sleeping", (query) => query("SELECT pg_sleep(5)", [])).then(
        () => "finished",
        (err: unknown) => err,
      );
      await waitFor(async () => (await activeSleeps(store)) > 0, 10_000, "the statement to run");

      await db.server.restart({ mode: "fast" });
      restarted = true;
      const [idleOutcome, busyOutcome] = await Promise.all([idle, busy]);
      // Give the sockets' last events time to arrive: an unhandled one would be thrown by then.
      await sleep(200);
      expect(uncaught).toEqual([]);
      expect(idleOutcome).toBeInstanceOf(PostgresUnavailableError);
      expect(busyOutcome).toBeInstanceOf(PostgresUnavailableError);

      // The store works after the restart, through the pool and through a session.
      await waitFor(
        () =>
          store.counts().then(
            () => true,
            () => false,
          ),
        10_000,
        "the store to answer",
      );
      const added = await store.add(
        {
          receiverUuid: "r1",
          kind: "GITLAB",
          event: "Push Hook",
          deliveryId: "after-restart",
          headers: { "x-gitlab-event": "Push Hook" },
          body: Buffer.from("{}"),
          receivedAt: 1000,
        },
        lease,
      );
      expect(
        await store.complete({ id: added.id, claimId: added.claimId! }, "delivered", { status: 200 }, 2000),
      ).toBe(true);
      expect(await session("reading", (query) => query<{ one: number }>("SELECT 1 AS one", []))).toEqual([
        { one: 1 },
      ]);
    } finally {
      await store.close();
    }
  });
});

/** How many `pg_sleep` statements run now, read through the store's pool. */
async function activeSleeps(store: PostgresStore): Promise<number> {
  const rows = await sessionOf(store)("reading activity", (query) =>
    query<{ n: number }>(
      "SELECT count(*) AS n FROM pg_stat_activity WHERE query LIKE 'SELECT pg_sleep%' AND state = 'active'",
      [],
    ),
  );
  return rows[0]!.n;
}
