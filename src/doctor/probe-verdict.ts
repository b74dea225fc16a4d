// What a probe proved, from three witnesses: what the code host recorded of its first hop (to
// Sourcegraph, or to the relay), what the relay recorded of its forward, and what Sourcegraph
// logged. Pure: the host checkers gather the evidence, this decides the code. Any 2xx is success.
import type { LoggedDelivery } from "../../providers/sourcegraph";
import { finding, pass, ROTATE_SECRET_FIX, type Subject } from "./codes";
import type { RelayRecord } from "./relay";
import type { Check } from "./types";

/** What the code host saw when it sent the probe. */
export type FirstHop =
  | {
      readonly kind: "answered";
      readonly status?: number;
      readonly refusedSignature?: boolean;
      readonly said?: string;
    }
  | { readonly kind: "notDelivered"; readonly reason: string };

export interface ProbeEvidence {
  /** `GitHub`, `GitLab`, `the Bitbucket Server plugin`. */
  readonly sender: string;
  /** `ping`, `a merge_requests_events test`, … */
  readonly what: string;
  readonly deliveryUrl: string;
  readonly firstHop: FirstHop;
  /** Whether a relay sits between the code host and Sourcegraph. */
  readonly relayed: boolean;
  /** The relay's record of the probe; `unread` without its data directory, `missing` when it has none. */
  readonly relayRecord?: RelayRecord | "unread" | "missing";
  /** Sourcegraph's log of the probe; `unread` when the logs could not be read. */
  readonly logged?: LoggedDelivery | "unread";
  /** How long the logs were watched, in seconds. */
  readonly waitedSeconds: number;
}

const is2xx = (s: number | undefined): boolean => s !== undefined && s >= 200 && s < 300;

const REACH_FIX = (url: string, sender: string) =>
  `make ${url} reachable from ${sender} (firewall, DNS, proxy, TLS certificate): from the code host's network, curl -i -X POST ${url} should answer 400, not time out or be refused`;

const RELAY_SECRET_FIX = `${ROTATE_SECRET_FIX}, then give the relay the new relayReceiversFile (pulumi stack output --show-secrets relayReceiversFile) and restart it`;

/** A refusal by whoever answered the first hop or the forward. */
function refusal(
  at: Subject,
  e: ProbeEvidence,
  by: string,
  status: number | undefined,
  signature: boolean,
  said?: string,
): Check {
  if (signature) {
    return finding(
      at,
      "probe",
      "probe_refused_signature",
      `${by} refused the ${e.what} from ${e.sender}: "Could not validate payload with secret": the hook's secret is not the receiver's`,
      e.relayed ? RELAY_SECRET_FIX : ROTATE_SECRET_FIX,
    );
  }
  const answered = status === undefined ? "refused it" : `answered ${status}`;
  const text = said ? ` ("${said}")` : "";
  if (status === 404) {
    return finding(
      at,
      "probe",
      "probe_refused",
      `${by} ${answered} to the ${e.what} from ${e.sender}${text}: no receiver with this UUID`,
      "run pulumi up --refresh: the receiver is created again and its hooks are pointed at it",
    );
  }
  return finding(
    at,
    "probe",
    "probe_refused",
    `${by} ${answered} to the ${e.what} from ${e.sender}${text}`,
    status !== undefined && status >= 500
      ? "Sourcegraph failed to handle the delivery: see its frontend logs, and the receiver's log in Site admin > Incoming webhooks"
      : "see the receiver's log in Site admin > Incoming webhooks for what Sourcegraph answered",
  );
}

/** Sourcegraph's log settles a probe the first hop (or the relay) saw accepted. */
function byLog(at: Subject, e: ProbeEvidence, through: string): Check {
  const log = e.logged;
  if (log === "unread") {
    return pass(at, "probe", `${through}; Sourcegraph's webhook logs could not be read to confirm it`);
  }
  if (log === undefined) {
    return finding(
      at,
      "probe",
      "logging_off",
      `${through}, but Sourcegraph logged nothing for this receiver within ${e.waitedSeconds} s: its webhook logging is probably off${e.relayed && e.relayRecord === "unread" ? " (or the relay has not forwarded it: pass --relay-data-dir or --database-url to tell)" : ""}`,
      'turn Sourcegraph\'s webhook logging on (site configuration: "webhook.logging": {"enabled": true}; it is off by default when an encryption key is set) to let doctor confirm deliveries',
    );
  }
  if (is2xx(log.statusCode))
    return pass(at, "probe", `${through}; Sourcegraph logged it with ${log.statusCode} at ${log.receivedAt}`);
  return refusal(at, e, "Sourcegraph", log.statusCode, log.refusedSignature);
}

export function judgeProbe(at: Subject, e: ProbeEvidence): Check {
  const first = e.relayed ? "the relay" : "Sourcegraph";
  const hop = e.firstHop;
  if (hop.kind === "notDelivered") {
    return finding(
      at,
      "probe",
      "probe_not_delivered",
      `${e.sender} could not deliver the ${e.what} to ${e.deliveryUrl}: ${hop.reason}`,
      REACH_FIX(e.deliveryUrl, e.sender),
    );
  }
  if (hop.status !== undefined && !is2xx(hop.status)) {
    const signature =
      hop.refusedSignature === true ||
      (hop.status === 400 && e.logged !== "unread" && e.logged?.refusedSignature === true);
    return refusal(at, e, first, hop.status, signature, hop.said);
  }
  if (hop.refusedSignature) return refusal(at, e, first, 400, true);
  const accepted = `${e.sender} delivered the ${e.what}${hop.status !== undefined ? ` (${first} answered ${hop.status})` : ""}`;
  if (!e.relayed || e.relayRecord === undefined || e.relayRecord === "unread") return byLog(at, e, accepted);
  const record = e.relayRecord;
  if (record === "missing") {
    return finding(
      at,
      "probe",
      "probe_not_delivered",
      `${accepted}, but the relay's store has no record of it`,
      "pass the data directory of the relay behind this URL as --relay-data-dir (or its database as --database-url)",
    );
  }
  if (record.state === "pending") {
    const last =
      record.lastStatus !== undefined
        ? `Sourcegraph last answered ${record.lastStatus}`
        : "Sourcegraph did not answer";
    return finding(
      at,
      "probe",
      "probe_not_delivered",
      `${accepted}; the relay has not delivered it to Sourcegraph after ${record.attempts} attempt(s) (${last})`,
      "check that the relay reaches Sourcegraph (its --forward-to URL) and that Sourcegraph is up",
    );
  }
  if (record.state === "dead" || record.state === "expired") {
    if (record.lastStatus === undefined) {
      return finding(
        at,
        "probe",
        "probe_not_delivered",
        `${accepted}; the relay could not deliver it to Sourcegraph (${record.state} after ${record.attempts} attempt(s))`,
        "check that the relay reaches Sourcegraph (its --forward-to URL) and that Sourcegraph is up",
      );
    }
    const signature =
      record.reason === "bad_signature" || (e.logged !== "unread" && e.logged?.refusedSignature === true);
    return refusal(at, e, "Sourcegraph (through the relay)", record.lastStatus, signature);
  }
  return byLog(
    at,
    e,
    `${accepted}; the relay forwarded it and Sourcegraph answered ${record.lastStatus ?? "2xx"}`,
  );
}
