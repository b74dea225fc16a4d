// `sg-webhooks dlq list|replay`: the relay's dead-letter store. Safe while the relay runs (SQLite
// WAL); a running relay picks replayed deliveries up within a second.
import { existsSync } from "node:fs";
import { join } from "node:path";
import type { Command } from "commander";
import { DATABASE_FILE, SqliteStore } from "../../relay";

function open(dataDir: string): SqliteStore {
  if (!existsSync(join(dataDir, DATABASE_FILE))) {
    throw new Error(
      `no relay store in ${dataDir} (${DATABASE_FILE} is missing); pass the --data-dir that serve uses`,
    );
  }
  return new SqliteStore(dataDir);
}

export function registerDlq(program: Command): void {
  const dlq = program.command("dlq").description("Inspect and replay the relay's dead-letter store");

  dlq
    .command("list")
    .description("List dead-lettered deliveries (never their bodies)")
    .requiredOption("--data-dir <dir>", "the relay's data directory")
    .option("--json", "one JSON object per line")
    .action(async (flags: { dataDir: string; json?: boolean }) => {
      const store = open(flags.dataDir);
      try {
        const dead = await store.listDead();
        if (flags.json) {
          for (const d of dead) {
            process.stdout.write(
              `${JSON.stringify({
                id: d.id,
                receiver: d.receiverUuid,
                kind: d.kind,
                event: d.event,
                deliveryId: d.deliveryId ?? null,
                attempts: d.attempts,
                reason: d.reason,
                lastStatus: d.lastStatus ?? null,
                lastError: d.lastError ?? null,
                receivedAt: new Date(d.receivedAt).toISOString(),
                deadAt: new Date(d.deadAt).toISOString(),
                bytes: d.body.byteLength,
              })}\n`,
            );
          }
          return;
        }
        if (dead.length === 0) {
          process.stdout.write("the dead-letter store is empty\n");
          return;
        }
        const rows = dead.map((d) => [
          String(d.id),
          d.receiverUuid,
          d.kind,
          d.event,
          d.deliveryId ?? "-",
          String(d.attempts),
          d.reason,
          d.lastStatus !== undefined ? String(d.lastStatus) : "-",
          new Date(d.receivedAt).toISOString(),
          (d.lastError ?? "").replace(/\s+/g, " ").slice(0, 60),
        ]);
        const head = [
          "ID",
          "RECEIVER",
          "KIND",
          "EVENT",
          "DELIVERY",
          "ATTEMPTS",
          "REASON",
          "STATUS",
          "RECEIVED",
          "LAST ERROR",
        ];
        const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
        for (const r of [head, ...rows])
          process.stdout.write(
            `${r
              .map((c, i) => c.padEnd(widths[i]!))
              .join("  ")
              .trimEnd()}\n`,
          );
      } finally {
        await store.close();
      }
    });

  dlq
    .command("replay")
    .description("Queue dead-lettered deliveries again (after fixing the cause); the relay forwards them")
    .requiredOption("--data-dir <dir>", "the relay's data directory")
    .option("--id <id...>", "the IDs to replay (see dlq list)")
    .option("--all", "replay every dead-lettered delivery")
    .action(async (flags: { dataDir: string; id?: string[]; all?: boolean }) => {
      if (!flags.all && !flags.id?.length) throw new Error("say what to replay: --id ID [ID...] or --all");
      if (flags.all && flags.id?.length) throw new Error("give --id or --all, not both");
      const ids = (flags.id ?? [])
        .flatMap((s) => s.split(","))
        .map((s) => {
          const n = Number(s.trim());
          if (!Number.isInteger(n) || n <= 0)
            throw new Error(`--id "${s}" is not a delivery ID (see dlq list)`);
          return n;
        });
      const store = open(flags.dataDir);
      try {
        const n = await store.replay(flags.all ? "all" : ids, Date.now());
        process.stdout.write(`queued ${n} deliver${n === 1 ? "y" : "ies"} again\n`);
        if (!flags.all && n < ids.length) {
          process.stdout.write(`${ids.length - n} of the IDs are not in the dead-letter store\n`);
          process.exitCode = 1;
        }
      } finally {
        await store.close();
      }
    });
}
