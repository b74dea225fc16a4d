// Proves the PostgreSQL store keeps the delivery store's contract (store-contract.ts), each test on a schema of its own, and keeps in its rows what SQLite keeps on disk.
// Its own promises under concurrency, outages and maintenance are in postgres-*.test.ts.
import { randomBytes } from "node:crypto";
import pg from "pg";
import { expect, it } from "vitest";
import { openPostgresStore } from "../../src/relay/postgres";
import type { DeliveryStore } from "../../src/relay/store";
import { describePostgres, type PostgresFixture } from "../harness/postgres";
import { describeDeliveryStore, type StoreBacking } from "./store-contract";
import { body, claimOf, delivery, LEASE_A } from "./store-contract-kit";

/** The suite's database, shared by the file; every backing is a fresh schema in it. */
let database: Promise<string> | undefined;

async function schemaBacking(db: PostgresFixture): Promise<StoreBacking> {
  database ??= db.database();
  const url = await database;
  const schema = `contract_${randomBytes(6).toString("hex")}`;
  const open = () => openPostgresStore({ connectionString: url, schema, poolSize: 3 });
  const opened: DeliveryStore[] = [await open()];
  return {
    store: opened[0]!,
    async openAnother() {
      const another = await open();
      opened.push(another);
      return another;
    },
    async dispose() {
      await Promise.all(opened.map((s) => s.close()));
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      await client.query(`DROP SCHEMA "${schema}" CASCADE`);
      await client.end();
    },
  };
}

describePostgres("PostgresStore", (db) => {
  describeDeliveryStore("PostgresStore", () => schemaBacking(db));

  it("a settled delivery's row holds neither headers nor body; a dead letter keeps both, as they came", async () => {
    const url = await db.database();
    const s = await openPostgresStore({ connectionString: url, schema: "on_disk" });
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      const headers = { "x-github-event": "push", "content-type": "application/json", "user-agent": "ü ☃" };
      const delivered = await s.add(delivery({ deliveryId: "d", body: body("body d") }), LEASE_A);
      const dead = await s.add(
        delivery({ deliveryId: "x", headers, body: Buffer.from([0, 255, 0]) }),
        LEASE_A,
      );
      await s.complete(claimOf(delivered), "delivered", { status: 200 }, 2000);
      await s.deadLetter(claimOf(dead), "rejected", { status: 403 }, 2200);
      const { rows } = await client.query(
        "SELECT id, headers::text AS headers, body FROM on_disk.deliveries ORDER BY id",
      );
      expect(rows).toEqual([
        { id: String(delivered.id), headers: null, body: null },
        { id: String(dead.id), headers: JSON.stringify(headers), body: Buffer.from([0, 255, 0]) },
      ]);
    } finally {
      await client.end();
      await s.close();
    }
  });
});
