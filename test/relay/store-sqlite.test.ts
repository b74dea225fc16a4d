// Proves the SQLite store, directly and on its own thread, keeps the delivery store's contract.
// The contract is store-contract.ts, which the PostgreSQL store runs too; here a backing is a data
// directory, and a second handle on it a second connection to the same relay.db (for
// ThreadedStore, a second thread). What only SQLite promises (the bytes on disk) follows.
import { rmSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { DATABASE_FILE, SqliteStore, ThreadedStore } from "../../src/relay";
import type { DeliveryStore } from "../../src/relay/store";
import { tempDir } from "./helpers";
import { describeDeliveryStore, type StoreBacking } from "./store-contract";
import { body, claimOf, delivery, LEASE_A } from "./store-contract-kit";

/** A backing in a new data directory, with stores opened on it by `open`. */
async function dataDirBacking(open: (dir: string) => Promise<DeliveryStore>): Promise<StoreBacking> {
  const dir = tempDir();
  const opened = [await open(dir)];
  return {
    store: opened[0]!,
    async openAnother() {
      const another = await open(dir);
      opened.push(another);
      return another;
    },
    async dispose() {
      await Promise.all(opened.map((s) => s.close()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

describeDeliveryStore("SqliteStore", () => dataDirBacking(async (dir) => new SqliteStore(dir)));
describeDeliveryStore("ThreadedStore", () => dataDirBacking((dir) => ThreadedStore.open(dir)));

/** The body and headers columns of a delivery, read from the file itself. */
function storedBytes(dir: string, id: number) {
  const db = new Database(join(dir, DATABASE_FILE), { readonly: true });
  try {
    return db.prepare("SELECT headers, body FROM deliveries WHERE id = ?").get(id) as
      | { headers: string | null; body: Buffer | null }
      | undefined;
  } finally {
    db.close();
  }
}

describe("SqliteStore on disk", () => {
  it("a settled delivery's row holds neither headers nor body; a dead letter keeps both for replay", async () => {
    const dir = tempDir();
    const s = new SqliteStore(dir);
    try {
      const delivered = await s.add(delivery({ deliveryId: "d", body: body("body d") }), LEASE_A);
      const ignored = await s.add(delivery({ deliveryId: "i", body: body("body i") }), LEASE_A);
      const dead = await s.add(delivery({ deliveryId: "x", body: body("body x") }), LEASE_A);
      await s.complete(claimOf(delivered), "delivered", { status: 200 }, 2000);
      await s.complete(claimOf(ignored), "ignored", { status: 204 }, 2100);
      await s.deadLetter(claimOf(dead), "rejected", { status: 403 }, 2200);
      expect(storedBytes(dir, delivered.id)).toEqual({ headers: null, body: null });
      expect(storedBytes(dir, ignored.id)).toEqual({ headers: null, body: null });
      expect(storedBytes(dir, dead.id)!.body!.toString()).toBe("body x");
      await s.prune(2200);
      expect(storedBytes(dir, delivered.id)).toBeUndefined();
    } finally {
      await s.close();
    }
  });
});
