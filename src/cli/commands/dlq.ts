// `sg-webhooks dlq list|replay|purge`: the relay's dead-letter store, in its data directory or in
// PostgreSQL (the same store flags as serve). Safe while relays run (SQLite WAL; PostgreSQL's own
// concurrency); a running relay picks replayed deliveries up within a second (on PostgreSQL, every
// relay is woken at once).
import { existsSync } from "node:fs";
import { join } from "node:path";
import type { Command } from "commander";
import { parseUuid } from "../../ingest";
import {
  DATABASE_FILE,
  loadReceiversFile,
  parseDuration,
  type RelayReceiver,
  SqliteStore,
} from "../../relay";
import type { DeadFilter, DeadSummary, DeliveryStore, Retarget } from "../../relay/store";
import { databaseOptions, openDatabase } from "../../relay/store-target";
import { storeTargetOf, withStoreFlags as withStoreOptions } from "../store-flags";

interface SelectionFlags {
  id?: string[];
  receiver?: string;
  olderThan?: string;
  all?: boolean;
}

type Selector = keyof SelectionFlags;

const SELECTOR_FLAGS: Record<Selector, string> = {
  id: "--id ID [ID...]",
  receiver: "--receiver UUID",
  olderThan: "--older-than DURATION",
  all: "--all",
};

/** Ends the command with exit code 2: the command line itself is wrong. */
function usage(cmd: Command, message: string): never {
  cmd.error(`error: ${message}`, { exitCode: 2, code: "sg-webhooks.usage" });
}

function withStoreFlags(cmd: Command): Command {
  return withStoreOptions(cmd, { dataDirHelp: "the relay's data directory (the --data-dir of serve)" });
}

/**
 * The store the flags name. `readOnly` for commands that change nothing: on PostgreSQL they never
 * migrate and cannot write. (SQLite's store is opened as the relay opens it: it may migrate.)
 */
async function openStore(cmd: Command, readOnly: boolean): Promise<DeliveryStore> {
  const target = storeTargetOf(cmd);
  if (target.kind === "postgres") {
    return openDatabase(databaseOptions(target), {
      applicationName: `sg-webhooks dlq ${cmd.name()}`,
      readOnly,
    });
  }
  if (!existsSync(join(target.dataDir, DATABASE_FILE))) {
    usage(
      cmd,
      `no relay store in ${target.dataDir} (${DATABASE_FILE} is missing); pass the --data-dir that serve uses`,
    );
  }
  return new SqliteStore(target.dataDir);
}

/** Exactly one of the `allowed` selectors, as a store filter. */
function selection(cmd: Command, flags: SelectionFlags, allowed: Selector[], verb: string): DeadFilter {
  const given = allowed.filter((k) => flags[k] !== undefined && flags[k] !== false);
  const choices = allowed.map((k) => SELECTOR_FLAGS[k]);
  const listed = `${choices.slice(0, -1).join(", ")} or ${choices.at(-1)}`;
  if (given.length === 0) usage(cmd, `say what to ${verb}: ${listed}`);
  if (given.length > 1)
    usage(cmd, `give one of ${listed}, not ${given.map((k) => SELECTOR_FLAGS[k]).join(" and ")}`);
  switch (given[0]!) {
    case "id":
      return { ids: parseIds(cmd, flags.id!) };
    case "receiver":
      return { receiverUuid: uuidFlag(cmd, flags.receiver!, "--receiver") };
    case "olderThan": {
      let ms: number;
      try {
        ms = parseDuration(flags.olderThan!, "--older-than");
      } catch (err) {
        usage(cmd, (err as Error).message);
      }
      return { deadBefore: Date.now() - ms };
    }
    case "all":
      return "all";
  }
}

function parseIds(cmd: Command, values: string[]): number[] {
  return values
    .flatMap((s) => s.split(","))
    .map((s) => {
      const n = Number(s.trim());
      if (!Number.isInteger(n) || n <= 0) usage(cmd, `--id "${s}" is not a delivery ID (see dlq list)`);
      return n;
    });
}

function uuidFlag(cmd: Command, value: string, flag: string): string {
  const uuid = parseUuid(value);
  if (!uuid) usage(cmd, `${flag} "${value}" is not a receiver UUID (see dlq list)`);
  return uuid;
}

/** The IDs asked for that matched nothing: said, and the exit code is 1. */
function reportMissing(filter: DeadFilter, found: ReadonlySet<number>): void {
  if (filter === "all" || !("ids" in filter)) return;
  const missing = filter.ids.filter((id) => !found.has(id));
  if (missing.length === 0) return;
  process.stdout.write(`not in the dead-letter store: ${missing.join(", ")} (see dlq list)\n`);
  process.exitCode = 1;
}

const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

function printTable(head: string[], rows: string[][]): void {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  for (const r of [head, ...rows]) {
    process.stdout.write(
      `${r
        .map((c, i) => c.padEnd(widths[i]!))
        .join("  ")
        .trimEnd()}\n`,
    );
  }
}

export function registerDlq(program: Command): void {
  const dlq = program.command("dlq").description("Inspect, replay and purge the relay's dead-letter store");

  withStoreFlags(dlq.command("list"))
    .description("List dead-lettered deliveries (never their bodies)")
    .option("--json", "one JSON object per line")
    .action(async (flags: { json?: boolean }, cmd: Command) => {
      const store = await openStore(cmd, true);
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
        printTable(
          [
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
          ],
          dead.map((d) => [
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
          ]),
        );
      } finally {
        await store.close();
      }
    });

  withStoreFlags(dlq.command("replay"))
    .description("Queue dead-lettered deliveries again (after fixing the cause); the relay forwards them")
    .option("--id <id...>", "the IDs to replay (see dlq list)")
    .option("--receiver <uuid>", "replay every dead letter of this receiver")
    .option("--all", "replay every dead-lettered delivery")
    .option(
      "--to-receiver <uuid>",
      "send them to this receiver instead, re-signed with its secret (one of the same code host kind, listed in --receivers)",
    )
    .option("--receivers <file>", "the receivers file serve reads (needed by --to-receiver)")
    .action(async (flags: SelectionFlags & { toReceiver?: string; receivers?: string }, cmd: Command) => {
      const filter = selection(cmd, flags, ["id", "receiver", "all"], "replay");
      const retarget = flags.toReceiver ? retargetFrom(cmd, flags.toReceiver, flags.receivers) : undefined;
      if (!retarget && flags.receivers) usage(cmd, "--receivers is only read with --to-receiver");
      const store = await openStore(cmd, false);
      try {
        // A dry run of purge lists the selection without changing anything.
        const selected = await store.purgeDead(filter, true);
        if (retarget) refuseOtherKinds(selected, retarget);
        const n = await store.replay(filter, Date.now(), retarget);
        process.stdout.write(
          `queued ${plural(n, "delivery", "deliveries")} again${retarget ? ` for receiver ${retarget.receiverUuid} (${retarget.kind})` : ""}\n`,
        );
        reportMissing(filter, new Set(selected.map((d) => d.id)));
      } finally {
        await store.close();
      }
    });

  withStoreFlags(dlq.command("purge"))
    .description(
      "Remove dead letters for good, and forget their delivery IDs (a code host's redelivery is then taken as new)",
    )
    .option("--id <id...>", "the IDs to remove (see dlq list)")
    .option("--receiver <uuid>", "every dead letter of this receiver")
    .option("--older-than <duration>", "every dead letter dead-lettered longer ago than this, such as 7d")
    .option("--all", "every dead letter")
    .option("--yes", "remove them")
    .option("--dry-run", "only say what would be removed")
    .option("--json", "one JSON object per line, per dead letter removed")
    .action(
      async (flags: SelectionFlags & { yes?: boolean; dryRun?: boolean; json?: boolean }, cmd: Command) => {
        const filter = selection(cmd, flags, ["id", "receiver", "olderThan", "all"], "purge");
        if (flags.yes && flags.dryRun) usage(cmd, "give --yes or --dry-run, not both");
        if (!flags.yes && !flags.dryRun) {
          usage(
            cmd,
            "purging cannot be undone: pass --yes to remove, or --dry-run to see what would be removed",
          );
        }
        const dryRun = flags.dryRun === true;
        const store = await openStore(cmd, dryRun);
        try {
          const removed = await store.purgeDead(filter, dryRun);
          printPurged(removed, dryRun, flags.json === true);
          reportMissing(filter, new Set(removed.map((d) => d.id)));
        } finally {
          await store.close();
        }
      },
    );
}

/** The receiver to send replayed dead letters to, as the receivers file describes it. */
function retargetFrom(cmd: Command, value: string, receiversFile: string | undefined): Retarget {
  const uuid = uuidFlag(cmd, value, "--to-receiver");
  if (!receiversFile) {
    usage(
      cmd,
      "--to-receiver needs --receivers FILE (the file serve reads): the receiver must be one the relay serves, and its code host kind must be the dead letters'",
    );
  }
  let receivers: RelayReceiver[];
  try {
    receivers = loadReceiversFile(receiversFile);
  } catch (err) {
    usage(cmd, (err as Error).message);
  }
  const target = receivers.find((r) => r.uuid === uuid);
  if (!target) {
    throw new Error(
      `receiver ${uuid} is not in ${receiversFile}, so the relay would not forward to it; add it there (and send the relay SIGHUP), or give one of ${receivers.map((r) => `${r.uuid} (${r.codeHostKind})`).join(", ")}`,
    );
  }
  return { receiverUuid: target.uuid, kind: target.codeHostKind };
}

/** A delivery's signature scheme and event headers are its code host's: it cannot go to another kind. */
function refuseOtherKinds(selected: readonly DeadSummary[], retarget: Retarget): void {
  const others = selected.filter((d) => d.kind !== retarget.kind);
  if (others.length === 0) return;
  const kinds = [...new Set(others.map((d) => d.kind))].join(", ");
  throw new Error(
    `receiver ${retarget.receiverUuid} is a ${retarget.kind} receiver, and ${plural(others.length, "of the dead letters selected is a delivery", "of the dead letters selected are deliveries")} of ${kinds} (${others
      .slice(0, 20)
      .map((d) => d.id)
      .join(
        ", ",
      )}${others.length > 20 ? ", …" : ""}); nothing was replayed. Select only ${retarget.kind} deliveries (--receiver OLD-UUID, or --id), or give a ${kinds} receiver`,
  );
}

function printPurged(removed: readonly DeadSummary[], dryRun: boolean, json: boolean): void {
  if (json) {
    for (const d of removed) {
      process.stdout.write(
        `${JSON.stringify({
          id: d.id,
          receiver: d.receiverUuid,
          kind: d.kind,
          event: d.event,
          deliveryId: d.deliveryId ?? null,
          reason: d.reason,
          deadAt: new Date(d.deadAt).toISOString(),
          bytes: d.bytes,
          removed: !dryRun,
        })}\n`,
      );
    }
    return;
  }
  if (removed.length === 0) {
    process.stdout.write("no dead letter matches; nothing removed\n");
    return;
  }
  const bytes = removed.reduce((sum, d) => sum + d.bytes, 0);
  process.stdout.write(
    `${dryRun ? "dry run, nothing removed: would remove" : "removed"} ${plural(removed.length, "dead letter", "dead letters")} (${bytes} bytes of bodies):\n`,
  );
  printTable(
    ["ID", "RECEIVER", "KIND", "EVENT", "DELIVERY", "REASON", "DEAD SINCE", "BYTES"],
    removed.map((d) => [
      String(d.id),
      d.receiverUuid,
      d.kind,
      d.event,
      d.deliveryId ?? "-",
      d.reason,
      new Date(d.deadAt).toISOString(),
      String(d.bytes),
    ]),
  );
}
