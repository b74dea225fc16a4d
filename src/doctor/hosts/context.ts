// What every host checker gets for one hook, and the helpers they share: event sets, the checks
// that depend on a found hook, and following a probe into the relay's records and Sourcegraph's logs.
import { sleep } from "../../../providers/http";
import { type LoggedDelivery, listWebhookLogs, type Receiver } from "../../../providers/sourcegraph";
import { finding, pass, type Subject, skip } from "../codes";
import { deliveryUrlFor, hookLabel } from "../plan";
import type { RelayRecord, RelayRecordFilter, RelayRecords } from "../relay";
import type { SecretBag } from "../secrets";
import type { SourcegraphView } from "../sourcegraph";
import type { Check, CheckName, PlannedConnection, PlannedHook } from "../types";

export interface Timing {
  /** Make probes (false: `--no-probe`, every probe is listed as skipped). */
  readonly probe: boolean;
  /** History starts here (epoch ms). */
  readonly since: number;
  /** How long a probe's delivery is watched for, in ms. */
  readonly waitMs: number;
  /** How often the witnesses are asked while watching, in ms. */
  readonly pollMs: number;
}

export interface HookContext {
  readonly at: Subject;
  readonly connection: PlannedConnection;
  readonly hook: PlannedHook;
  /** Where the hook must deliver; unknown when the receiver is missing. */
  readonly deliveryUrl?: string;
  readonly receiver?: Receiver;
  readonly sourcegraph?: SourcegraphView;
  readonly relayRecords?: RelayRecords;
  readonly timing: Timing;
  readonly secrets: SecretBag;
}

export function hookSubject(connection: PlannedConnection, hook: PlannedHook): Subject {
  return { connection: connection.id, target: hookLabel(hook) };
}

/** What was read about a connection's receiver, for each of its hooks (undefined: not available). */
export interface Witnesses {
  readonly receiver: Receiver | undefined;
  readonly sourcegraph: SourcegraphView | undefined;
  readonly relayRecords: RelayRecords | undefined;
}

/** The context of one hook: it must deliver to the receiver found, else to the outputs' URL. */
export function hookContextFor(
  connection: PlannedConnection,
  hook: PlannedHook,
  { receiver, sourcegraph, relayRecords }: Witnesses,
  timing: Timing,
  secrets: SecretBag,
): HookContext {
  const deliveryUrl = receiver ? deliveryUrlFor(connection, receiver) : connection.deliveryUrl;
  return {
    at: hookSubject(connection, hook),
    connection,
    hook,
    ...(deliveryUrl ? { deliveryUrl } : {}),
    ...(receiver ? { receiver } : {}),
    ...(sourcegraph ? { sourcegraph } : {}),
    ...(relayRecords ? { relayRecords } : {}),
    timing,
    secrets,
  };
}

/** The checks after `hook` that cannot be made when the hook was not found. */
export function notChecked(at: Subject, names: readonly CheckName[], why: string): Check[] {
  return names.map((name) => skip(at, name, `not checked: ${why}`));
}

/** `events`: the hook subscribes to at least the declared events (`covers` says whether one is). */
export function checkEvents(
  ctx: HookContext,
  live: readonly string[],
  covers = (e: string) => live.includes(e),
): Check {
  const declared = ctx.hook.events;
  if (declared === undefined) {
    return skip(
      ctx.at,
      "events",
      `subscribes to ${live.length} events; the stack outputs do not list the declared ones`,
      "run doctor with --config to compare with the declaration",
    );
  }
  const missing = declared.filter((e) => !covers(e));
  if (missing.length === 0)
    return pass(ctx.at, "events", `subscribes to every declared event (${declared.length})`);
  return finding(
    ctx.at,
    "events",
    "hook_events_missing",
    `does not subscribe to ${missing.join(", ")}`,
    "run pulumi up --refresh to subscribe it to the declared events again",
  );
}

/** `hook`: found and delivering to the right URL; what to say when it delivers elsewhere. */
export function wrongUrl(ctx: HookContext, url: string): Check {
  return finding(
    ctx.at,
    "hook",
    "hook_wrong_url",
    `delivers to ${url}, not ${ctx.deliveryUrl}`,
    "run pulumi up --refresh to point it back at its receiver",
  );
}

export function hookMissing(ctx: HookContext, how: string): Check {
  return finding(
    ctx.at,
    "hook",
    "hook_missing",
    `no hook ${how}`,
    "run pulumi up --refresh: the hook is created again",
  );
}

/** The probe check when `--no-probe` is given. */
export function probeSkipped(ctx: HookContext): Check {
  return skip(ctx.at, "probe", "not sent (--no-probe)");
}

/**
 * Watches until `found` returns something or the wait is over: the code host, the relay and
 * Sourcegraph each record a delivery a moment after it is sent.
 */
export async function watch<T>(timing: Timing, found: () => Promise<T | undefined>): Promise<T | undefined> {
  const deadline = Date.now() + timing.waitMs;
  for (;;) {
    const value = await found();
    if (value !== undefined) return value;
    if (Date.now() >= deadline) return undefined;
    await sleep(Math.min(timing.pollMs, Math.max(0, deadline - Date.now())));
  }
}

/** Sourcegraph's newest log for the receiver since `since` that `match` accepts, watched for. */
export async function loggedBySourcegraph(
  ctx: HookContext,
  since: number,
  match: (log: LoggedDelivery) => boolean,
  waitMs = ctx.timing.waitMs,
): Promise<LoggedDelivery | "unread" | undefined> {
  const sg = ctx.sourcegraph;
  const receiver = ctx.receiver;
  if (!sg || !receiver) return "unread";
  try {
    return await watch({ ...ctx.timing, waitMs }, async () => {
      const logs = await listWebhookLogs(sg.conn, receiver.id, {
        since: new Date(since).toISOString(),
        limit: 100,
      });
      return logs.find(match);
    });
  } catch {
    return "unread";
  }
}

/**
 * The relay's record of a probe, once it is settled (or the wait is over: then the last one seen);
 * `unread` without the relay's data directory, `missing` when it never appears.
 */
export async function recordedByRelay(
  ctx: HookContext,
  filter: RelayRecordFilter,
  match: (r: RelayRecord) => boolean = () => true,
): Promise<RelayRecord | "unread" | "missing"> {
  const store = ctx.relayRecords;
  if (!store) return "unread";
  let last: RelayRecord | undefined;
  const settled = await watch(ctx.timing, async () => {
    const found = (await store.records(filter, 20)).find(match);
    last = found ?? last;
    return found && found.state !== "pending" ? found : undefined;
  });
  return settled ?? last ?? "missing";
}

/** The receiver's UUID, from the receiver found or the outputs. */
export function receiverUuidOf(ctx: HookContext): string | undefined {
  return ctx.receiver?.uuid ?? ctx.connection.receiverUuid;
}
