// The relay between the code hosts and Sourcegraph, when deliveries go through one: whether it is
// ready (`/readyz` on its public URL), and what its store recorded of each delivery (Sourcegraph's
// answer, attempts, dead letters), read from its data directory. The code hosts saw the relay's
// 202, so only these records say whether Sourcegraph took a delivery.
import { ConnectionError, send } from "../../providers/http";
import { finding, pass, type Subject, skip } from "./codes";
import type { SecretBag } from "./secrets";
import type { Check, PlannedConnection } from "./types";

/** Where a delivery stands in the relay's store. */
export type RelayState = "pending" | "delivered" | "ignored" | "dead" | "expired";

/** What the relay keeps of a delivery: no headers, no body. */
export interface RelayRecord {
  readonly receiverUuid: string;
  readonly kind: string;
  readonly event: string;
  readonly deliveryId?: string;
  readonly hookId?: string;
  readonly state: RelayState;
  readonly attempts: number;
  /** Sourcegraph's status at the last attempt; absent when it never answered. */
  readonly lastStatus?: number;
  readonly lastAttemptAt?: number;
  readonly receivedAt: number;
  /** Why it was dead-lettered (`bad_signature`, `unknown_receiver`, `rejected`, `expired`). */
  readonly reason?: string;
}

export interface RelayRecordFilter {
  readonly receiverUuid?: string;
  readonly since?: number;
  readonly states?: readonly RelayState[];
  readonly deliveryId?: string;
}

/** The relay store's read side, as doctor and redeliver use it. */
export interface RelayRecords {
  /** Newest first, at most `limit`. */
  records(filter: RelayRecordFilter, limit: number): Promise<RelayRecord[]>;
  close(): Promise<void>;
}

/** The flag that gives doctor the relay's records. */
export const RELAY_FLAG = "--relay-data-dir";

export function relaySubject(connection: PlannedConnection): Subject {
  return { connection: connection.id, target: `relay ${connection.relayUrl}` };
}

/** Whether the relay answers 200 on `/readyz`. */
export async function checkRelayReady(connection: PlannedConnection, secrets: SecretBag): Promise<Check> {
  const at = relaySubject(connection);
  const url = `${connection.relayUrl}/readyz`;
  const fix = `check the relay (sg-webhooks serve) behind ${connection.relayUrl}: its log says why it is not ready`;
  try {
    const res = await send({
      method: "GET",
      url,
      service: "the relay",
      timeoutMs: 10_000,
      backoff: { attempts: 2, baseMs: 250, maxDelayMs: 2_000 },
    });
    if (res.status === 200) return pass(at, "relay", `${url} answered 200`);
    return finding(at, "relay", "relay_unhealthy", `${url} answered ${res.status}`, fix);
  } catch (err) {
    const why = err instanceof ConnectionError ? err.message : String((err as Error)?.message ?? err);
    return finding(at, "relay", "relay_unhealthy", secrets.clean(why), fix);
  }
}

/** The dead letters the relay recorded for the receiver since `since`. */
export async function checkRelayHistory(
  connection: PlannedConnection,
  receiverUuid: string,
  records: RelayRecords | undefined,
  since: number,
): Promise<Check> {
  const at = relaySubject(connection);
  if (!records) {
    return skip(
      at,
      "history",
      "the relay's records were not read",
      `pass ${RELAY_FLAG} with the relay's data directory (or --database-url for relays on PostgreSQL) to read what Sourcegraph answered it`,
    );
  }
  const dead = await records.records({ receiverUuid, since, states: ["dead", "expired"] }, 1000);
  if (dead.length === 0) {
    return pass(at, "history", `no dead letter for this receiver since ${new Date(since).toISOString()}`);
  }
  const reasons = new Map<string, number>();
  for (const r of dead) {
    const why = r.state === "expired" ? "expired" : (r.reason ?? "dead");
    reasons.set(why, (reasons.get(why) ?? 0) + 1);
  }
  const list = [...reasons].map(([why, n]) => `${n}× ${why}`).join(", ");
  return finding(
    at,
    "history",
    "recent_failures",
    `the relay dead-lettered ${dead.length} deliveries for this receiver since ${new Date(since).toISOString()} (${list})`,
    `fix what the other checks report, then run sg-webhooks redeliver (the code host sends them again and the relay revives them) or sg-webhooks dlq replay (--data-dir <dir> | --database-url <url>) --receiver ${receiverUuid}`,
  );
}
