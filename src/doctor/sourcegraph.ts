// The Sourcegraph side of each connection: its receiver (kind and URN as declared), a code host
// connection with that URN (without one, Sourcegraph cannot map a delivery to its repositories),
// and the errors Sourcegraph logged for the receiver.

import { normalizeBaseUrl } from "../../providers/shared";
import {
  type CodeHostConnection,
  listCodeHostConnections,
  listReceivers,
  listWebhookLogs,
  type Receiver,
  type SourcegraphConnection,
  sameUrn,
} from "../../providers/sourcegraph";
import { finding, pass, ROTATE_SECRET_FIX, type Subject } from "./codes";
import { CREDENTIAL_HINTS } from "./credentials";
import { sourcegraphFailure } from "./failures";
import type { SecretBag } from "./secrets";
import type { Check, Plan, PlannedConnection } from "./types";

/** What doctor read from Sourcegraph once, for every connection. */
export interface SourcegraphView {
  readonly conn: SourcegraphConnection;
  readonly receivers: readonly Receiver[];
  /** The code host connections, or why they could not be read. */
  readonly codeHostConnections: readonly CodeHostConnection[] | Error;
}

/** Sourcegraph could not be read at all: every receiver check gets this finding. */
export type SourcegraphUnavailable = (at: Subject) => Check;

export async function openSourcegraph(
  plan: Plan,
  secrets: SecretBag,
): Promise<SourcegraphView | SourcegraphUnavailable> {
  const token = plan.sourcegraphToken ?? process.env.SRC_ACCESS_TOKEN;
  if (!plan.sourcegraphEndpoint || !token) {
    const missing = !plan.sourcegraphEndpoint ? "no Sourcegraph endpoint" : "no Sourcegraph access token";
    return (at) => finding(at, "receiver", "credentials_missing", missing, CREDENTIAL_HINTS.sourcegraph);
  }
  secrets.add(token);
  let endpoint: string;
  try {
    endpoint = normalizeBaseUrl(plan.sourcegraphEndpoint);
  } catch {
    return (at) =>
      finding(
        at,
        "receiver",
        "sourcegraph_unreachable",
        "the Sourcegraph endpoint is not a URL",
        "set SRC_ENDPOINT (or sourcegraph.endpoint) to the instance URL, such as https://sourcegraph.example.com",
      );
  }
  const conn: SourcegraphConnection = { endpoint, accessToken: token, secrets: secrets.list() };
  let receivers: Receiver[];
  try {
    receivers = await listReceivers(conn);
  } catch (err) {
    return (at) => sourcegraphFailure(at, "receiver", err, secrets);
  }
  for (const r of receivers) secrets.add(r.secret);
  const codeHostConnections = await listCodeHostConnections(conn).catch((err: unknown) =>
    err instanceof Error ? err : new Error(String(err)),
  );
  return { conn: { ...conn, secrets: secrets.list() }, receivers, codeHostConnections };
}

/** The receiver a connection delivers to, as the plan finds it: by UUID, or by kind, URN and name. */
export function findReceiver(
  connection: PlannedConnection,
  receivers: readonly Receiver[],
): { receiver?: Receiver; problem?: string } {
  const { codeHostKind: kind, codeHostUrn: urn } = connection;
  if (connection.receiverUuid) {
    const r = receivers.find((x) => x.uuid === connection.receiverUuid);
    if (!r) return { problem: `Sourcegraph has no receiver with UUID ${connection.receiverUuid}` };
    if (r.codeHostKind !== kind || !sameUrn(r.codeHostURN, urn)) {
      return {
        problem: `receiver ${r.name} (${r.uuid}) is for ${r.codeHostKind} ${r.codeHostURN}, not ${kind} ${urn}`,
      };
    }
    return { receiver: r };
  }
  const matches = receivers.filter((r) => r.codeHostKind === kind && sameUrn(r.codeHostURN, urn));
  if (matches.length === 0) return { problem: `Sourcegraph has no ${kind} receiver for ${urn}` };
  if (matches.length === 1) return { receiver: matches[0] };
  const named = matches.find((r) => r.name === connection.receiverName);
  if (named) return { receiver: named };
  return {
    problem: `${matches.length} ${kind} receivers for ${urn} (${matches.map((r) => r.name).join(", ")}), none named ${connection.receiverName}`,
  };
}

export function receiverSubject(connection: PlannedConnection, receiver?: Receiver): Subject {
  const name = receiver?.name ?? connection.receiverName ?? connection.receiverUuid ?? connection.codeHostUrn;
  return { connection: connection.id, target: `receiver ${name}` };
}

/** The receiver check, and the receiver when found. */
export function checkReceiver(
  connection: PlannedConnection,
  sg: SourcegraphView,
): { check: Check; receiver?: Receiver } {
  const { receiver, problem } = findReceiver(connection, sg.receivers);
  const at = receiverSubject(connection, receiver);
  if (!receiver) {
    const fix =
      connection.receiverUuid === undefined && problem?.includes("none named")
        ? "set receiverName in the stack file to the receiver to use, or delete the others in Site admin > Incoming webhooks"
        : "run pulumi up --refresh: the receiver is created again (with a new URL, which its hooks get in the same run)";
    return { check: finding(at, "receiver", "receiver_missing", `${problem} at ${sg.conn.endpoint}`, fix) };
  }
  return {
    receiver,
    check: pass(
      at,
      "receiver",
      `${receiver.codeHostKind} receiver for ${receiver.codeHostURN} (${receiver.uuid})`,
    ),
  };
}

/** Whether Sourcegraph has a code host connection with the receiver's URN. */
export function checkCodeHostConnection(
  connection: PlannedConnection,
  sg: SourcegraphView,
  secrets: SecretBag,
): Check {
  const at = { connection: connection.id, target: `code host connection ${connection.codeHostUrn}` };
  if (sg.codeHostConnections instanceof Error)
    return sourcegraphFailure(at, "connection", sg.codeHostConnections, secrets);
  const sameKind = sg.codeHostConnections.filter((c) => c.kind === connection.codeHostKind);
  const found = sameKind.find((c) => c.url !== undefined && sameUrn(c.url, connection.codeHostUrn));
  if (found)
    return pass(at, "connection", `code host connection "${found.displayName}" has url ${found.url}`);
  const others = sameKind.map((c) => c.url).filter((u): u is string => u !== undefined);
  return finding(
    at,
    "connection",
    "connection_missing",
    `Sourcegraph has no ${connection.codeHostKind} code host connection with url ${connection.codeHostUrn}${others.length > 0 ? ` (its ${connection.codeHostKind} connections: ${others.join(", ")})` : ""}: deliveries are accepted but match no repository`,
    `add a code host connection for ${connection.codeHostUrn} in Site admin > Code host connections, or make the connection's url in the stack file the one of the existing code host connection`,
  );
}

/** The errors Sourcegraph logged for the receiver since `since` (RFC 3339). */
export async function checkSourcegraphHistory(
  connection: PlannedConnection,
  sg: SourcegraphView,
  receiver: Receiver,
  since: string,
  secrets: SecretBag,
): Promise<Check> {
  const at = receiverSubject(connection, receiver);
  let errors: Awaited<ReturnType<typeof listWebhookLogs>>;
  try {
    errors = await listWebhookLogs(sg.conn, receiver.id, { since, onlyErrors: true, limit: 500 });
  } catch (err) {
    return sourcegraphFailure(at, "history", err, secrets);
  }
  if (errors.length === 0) {
    return pass(at, "history", `Sourcegraph logged no error for this receiver since ${since}`);
  }
  const byStatus = new Map<number, number>();
  for (const e of errors) byStatus.set(e.statusCode, (byStatus.get(e.statusCode) ?? 0) + 1);
  const statuses = [...byStatus].map(([s, n]) => `${n}× ${s}`).join(", ");
  const signature = errors.some((e) => e.refusedSignature);
  return finding(
    at,
    "history",
    "recent_failures",
    `Sourcegraph answered ${errors.length}${errors.length >= 500 ? "+" : ""} deliveries with an error since ${since} (${statuses}; newest at ${errors[0]!.receivedAt})`,
    signature
      ? `some were refused for their signature: ${ROTATE_SECRET_FIX}; then run sg-webhooks redeliver`
      : "fix what the other checks report, then run sg-webhooks redeliver to send the failed events again",
  );
}
