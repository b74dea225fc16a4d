// Proves the PostgreSQL store's schema is created once when five relays start together, a newer schema is refused, read-only opens never migrate, and any schema name is quoted safely.
import pg from "pg";
import { expect, it } from "vitest";
import { openPostgresStore, SCHEMA_VERSION } from "../../src/relay/postgres";
import { describePostgres } from "../harness/postgres";

const lease = { owner: "relay-a", ms: 60_000 };
const delivery = (deliveryId: string) => ({
  receiverUuid: "r1",
  kind: "GITHUB" as const,
  event: "push",
  deliveryId,
  headers: { "x-github-event": "push" },
  body: Buffer.from(deliveryId),
  receivedAt: 1000,
});

async function sql<T extends pg.QueryResultRow>(url: string, text: string, params: unknown[] = []) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(text, params)).rows;
  } finally {
    await client.end();
  }
}

describePostgres("the PostgreSQL store's schema", (db) => {
  it("is created once when five relays open a fresh database at the same moment", async () => {
    const url = await db.database();
    const stores = await Promise.all(
      Array.from({ length: 5 }, () => openPostgresStore({ connectionString: url, poolSize: 2 })),
    );
    try {
      expect(await sql(url, "SELECT version FROM sg_webhooks.schema_version")).toEqual([
        { version: SCHEMA_VERSION },
      ]);
      const tables = await sql<{ table_name: string }>(
        url,
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'sg_webhooks' ORDER BY 1",
      );
      expect(tables.map((t) => t.table_name)).toEqual(["deliveries", "imported", "schema_version"]);
      // Every one of them works on the same tables: each sees the others' deliveries as duplicates.
      const first = await stores[0]!.add(delivery("d1"), lease);
      expect(first.duplicate).toBe(false);
      for (const s of stores.slice(1)) {
        expect(await s.add(delivery("d1"), lease)).toEqual({ id: first.id, duplicate: true, revived: false });
      }
    } finally {
      await Promise.all(stores.map((s) => s.close()));
    }
    // A sixth relay starting later finds the schema current and changes nothing.
    await (await openPostgresStore({ connectionString: url })).close();
    expect(await sql(url, "SELECT count(*)::int AS n FROM sg_webhooks.schema_version")).toEqual([{ n: 1 }]);
  });

  it("refuses tables written by a newer relay, saying to upgrade", async () => {
    const url = await db.database();
    await (await openPostgresStore({ connectionString: url })).close();
    await sql(url, "INSERT INTO sg_webhooks.schema_version (version) VALUES ($1)", [SCHEMA_VERSION + 1]);
    for (const readOnly of [false, true]) {
      await expect(openPostgresStore({ connectionString: url, readOnly })).rejects.toThrow(
        new RegExp(`newer relay \\(schema ${SCHEMA_VERSION + 1}.*upgrade sg-webhooks`),
      );
    }
  });

  it("opened read-only, never creates or migrates, says what to do, and refuses to write", async () => {
    const url = await db.database();
    await expect(openPostgresStore({ connectionString: url, readOnly: true })).rejects.toThrow(
      /no relay tables in schema "sg_webhooks": start `sg-webhooks serve --database-url …` once.*--database-schema/,
    );
    expect(await sql(url, "SELECT 1 FROM pg_namespace WHERE nspname = 'sg_webhooks'")).toEqual([]);

    const writer = await openPostgresStore({ connectionString: url });
    const added = await writer.add(delivery("d1"), lease);
    await writer.close();
    const reader = await openPostgresStore({ connectionString: url, readOnly: true });
    try {
      expect(await reader.counts()).toEqual({ pending: 1, dead: 0 });
      expect((await reader.records({}, 10)).map((r) => r.id)).toEqual([added.id]);
      await expect(reader.add(delivery("d2"), lease)).rejects.toThrow(/read-only transaction/);
      await expect(reader.purgeDead("all", false)).rejects.toThrow(/read-only transaction/);
    } finally {
      await reader.close();
    }
    expect(await sql(url, "SELECT count(*)::int AS n FROM sg_webhooks.deliveries")).toEqual([{ n: 1 }]);
  });

  it("keeps each schema's deliveries apart, whatever its name", async () => {
    const url = await db.database();
    const odd = 'Relay "B"; DROP TABLE x; --';
    const a = await openPostgresStore({ connectionString: url, schema: "relay_a" });
    const b = await openPostgresStore({ connectionString: url, schema: odd });
    try {
      await a.add(delivery("d1"), lease);
      expect((await b.add(delivery("d1"), lease)).duplicate).toBe(false);
      expect(await a.counts()).toEqual({ pending: 1, dead: 0 });
      expect(await b.counts()).toEqual({ pending: 1, dead: 0 });
      const schemas = await sql<{ nspname: string }>(
        url,
        "SELECT nspname FROM pg_namespace WHERE nspname IN ('relay_a', $1) ORDER BY 1",
        [odd],
      );
      expect(schemas.map((s) => s.nspname)).toEqual([odd, "relay_a"]);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it("refuses a schema name PostgreSQL would truncate or cannot hold", async () => {
    const url = await db.database();
    await expect(openPostgresStore({ connectionString: url, schema: "" })).rejects.toThrow(
      /schema name is empty; give a name such as sg_webhooks/,
    );
    await expect(openPostgresStore({ connectionString: url, schema: "x".repeat(59) })).rejects.toThrow(
      /longer than 58 bytes; choose a shorter one/,
    );
  });
});
