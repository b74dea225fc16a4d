// Proves `sg-webhooks dlq list|replay|purge` work on the relays' PostgreSQL database with serve's store flags, list and purge --dry-run read-only, and the CLI starts without loading pg.
// The built CLI in child processes, against a real PostgreSQL whose dead letters are made through
// the store itself; the database URL carries a password, searched for in everything printed.
import { execFileSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { join } from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { PostgresStore } from "../../src/relay/postgres";
import type { Lease } from "../../src/relay/store";
import { openDatabase } from "../../src/relay/store-target";
import { describePostgres } from "../harness/postgres";
import { cli, databaseWithPassword, MAIN, printed } from "../relay/serve-process";

const PASSWORD = "dlq-pg-Pa55word-41d9";
const LEASE: Lease = { owner: "test", ms: 60_000 };

describe("the CLI's start", () => {
  it("loads no pg until a command opens the database", () => {
    const loaded = execFileSync(
      process.execPath,
      [
        "-e",
        `require(${JSON.stringify(MAIN)}); process.stdout.write(JSON.stringify(Object.keys(require.cache)))`,
      ],
      { encoding: "utf8" },
    );
    const modules = JSON.parse(loaded) as string[];
    expect(modules.some((m) => m.includes(join("src", "cli", "commands", "dlq")))).toBe(true);
    expect(modules.filter((m) => /[\\/]node_modules[\\/](pg|pg-pool|pg-protocol)[\\/]/.test(m))).toEqual([]);
  });
});

describePostgres("dlq on PostgreSQL", (postgres) => {
  let url: string;
  let store: PostgresStore;
  const github = randomUUID();
  const gitlab = randomUUID();
  const ids: number[] = [];

  /** Stores a delivery and dead-letters it, as a relay whose Sourcegraph refused it would. */
  async function deadLetter(
    receiverUuid: string,
    kind: "GITHUB" | "GITLAB",
    deliveryId: string,
  ): Promise<number> {
    const added = await store.add(
      {
        receiverUuid,
        kind,
        event: kind === "GITHUB" ? "push" : "Push Hook",
        deliveryId,
        headers: { "content-type": "application/json" },
        body: Buffer.from(JSON.stringify({ deliveryId })),
        receivedAt: Date.now(),
      },
      LEASE,
    );
    const moved = await store.deadLetter(
      { id: added.id, claimId: added.claimId! },
      "bad_signature",
      { status: 400, error: "Could not validate payload with secret." },
      Date.now(),
    );
    expect(moved).toBe(true);
    return added.id;
  }

  beforeAll(async () => {
    url = await databaseWithPassword(postgres.server.url, "dlq_relay", "dlq_relay", PASSWORD);
    store = await openDatabase({ url }, { applicationName: "dlq test" });
    ids.push(await deadLetter(github, "GITHUB", "gh-1"), await deadLetter(github, "GITHUB", "gh-2"));
    ids.push(await deadLetter(gitlab, "GITLAB", "gl-1"));
  });

  afterAll(async () => {
    await store?.close();
  });

  const env = () => ({ SG_WEBHOOKS_DATABASE_URL: url });

  it("lists the dead letters, as a table and as JSON, from SG_WEBHOOKS_DATABASE_URL or --database-url", async () => {
    const table = await cli(["dlq", "list"], env());
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout).toMatch(
      new RegExp(`^${ids[0]}\\s+${github}\\s+GITHUB\\s+push\\s+gh-1\\s+1\\s+bad_signature\\s+400`, "m"),
    );
    expect(table.stdout).toMatch(new RegExp(`^${ids[2]}\\s+${gitlab}\\s+GITLAB\\s+Push Hook\\s+gl-1`, "m"));
    const json = await cli(["dlq", "list", "--json", "--database-url", url]);
    const rows = json.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { id: number; deliveryId: string });
    expect(rows.map((r) => r.deliveryId).sort()).toEqual(["gh-1", "gh-2", "gl-1"]);
  });

  it("list and purge --dry-run open the database read-only: on an empty schema they say so and create nothing", async () => {
    for (const args of [
      ["dlq", "list"],
      ["dlq", "purge", "--all", "--dry-run"],
    ]) {
      const run = await cli([...args, "--database-schema", "not_created"], env());
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(/no relay tables in schema "not_created"/);
    }
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    try {
      expect((await admin.query("SELECT to_regnamespace('not_created') AS s")).rows[0]).toEqual({ s: null });
    } finally {
      await admin.end();
    }
  });

  it("purge --dry-run removes nothing; replay queues again; purge --yes removes and forgets", async () => {
    const dry = await cli(["dlq", "purge", "--receiver", gitlab, "--dry-run"], env());
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toMatch(/^dry run, nothing removed: would remove 1 dead letter/);
    expect((await store.counts()).dead).toBe(3);

    const replay = await cli(["dlq", "replay", "--id", String(ids[0])], env());
    expect(replay.code, replay.stderr).toBe(0);
    expect(replay.stdout).toBe("queued 1 delivery again\n");
    expect(await store.counts()).toEqual({ pending: 1, dead: 2 });
    const due = await store.claim(Date.now(), 10, LEASE);
    expect(due.map((d) => d.deliveryId)).toEqual(["gh-1"]);

    const purge = await cli(["dlq", "purge", "--receiver", gitlab, "--yes", "--json"], env());
    expect(purge.code, purge.stderr).toBe(0);
    expect(JSON.parse(purge.stdout)).toMatchObject({ id: ids[2], deliveryId: "gl-1", removed: true });
    expect((await store.counts()).dead).toBe(1);
    // Forgotten: the code host's redelivery is a new delivery.
    const again = await store.add(
      {
        receiverUuid: gitlab,
        kind: "GITLAB",
        event: "Push Hook",
        deliveryId: "gl-1",
        headers: {},
        body: Buffer.from("{}"),
        receivedAt: Date.now(),
      },
      LEASE,
    );
    expect(again).toMatchObject({ duplicate: false, revived: false });
  });

  it("usage errors name both store options; a wrong URL is refused without the password", async () => {
    const both = await cli(["dlq", "list", "--data-dir", "/tmp"], env());
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(/SG_WEBHOOKS_DATABASE_URL is set and --data-dir is given/);
    const neither = await cli(["dlq", "list"], { SG_WEBHOOKS_DATABASE_URL: "" });
    expect(neither.code).toBe(2);
    expect(neither.stderr).toMatch(/--data-dir DIR \(SQLite, one relay\) or --database-url URL/);
    const wrong = await cli([
      "dlq",
      "list",
      "--database-url",
      `https://relay:${PASSWORD}@db.example.com/relay`,
    ]);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toMatch(
      /--database-url must be a postgres:\/\/ or postgresql:\/\/ URL, not https:\/\//,
    );
    const down = await cli([
      "dlq",
      "list",
      "--database-url",
      `postgres://dlq_relay:${PASSWORD}@127.0.0.1:1/dlq_relay`,
    ]);
    expect(down.code).toBe(1);
    expect(down.stderr).toMatch(
      /PostgreSQL at postgres:\/\/dlq_relay:\[redacted\]@127\.0\.0\.1:1\/dlq_relay is unavailable/,
    );
  });

  it("printed the password nowhere", () => {
    const all = printed.join("");
    expect(all).toContain("bad_signature");
    expect(all).not.toContain(PASSWORD);
  });
});
