// What every host's redeliver gets, and reading the relay's dead letters: with a relay in the path
// the code host saw the relay's 202 for everything, so only the relay knows what Sourcegraph never
// took.
import type { HookContext } from "../hosts/context";
import { RELAY_FLAG, type RelayRecord } from "../relay";
import type { Check } from "../types";
import { type Action, isRetryable, refusalFix } from "./types";

export interface RedeliverContext extends HookContext {
  /** Say what would be resent, resend nothing. */
  readonly dryRun: boolean;
  /** How far back to look, in ms. */
  readonly sinceMs: number;
}

/** The action when the hook to redeliver for was not found (`check` says why, when known). */
export function hookNotFound(ctx: RedeliverContext, check: Check | undefined): Action {
  return {
    connection: ctx.connection.id,
    target: ctx.at.target,
    delivery: "",
    event: "",
    outcome: "failed",
    message: ctx.secrets.clean(check?.message ?? "the hook could not be found (its receiver is missing)"),
    fix: "run sg-webhooks doctor to see why",
  };
}

/**
 * The relay's dead letters (dead or expired) of this connection's receiver since the window's
 * start, or the action that says the relay's records are needed.
 */
export async function relayDeadLetters(ctx: RedeliverContext, kind: string): Promise<RelayRecord[] | Action> {
  const uuid = ctx.receiver?.uuid ?? ctx.connection.receiverUuid;
  if (!ctx.relayRecords || !uuid) {
    return {
      connection: ctx.connection.id,
      target: ctx.at.target,
      delivery: "",
      event: "",
      outcome: "failed",
      message: ctx.relayRecords
        ? "the receiver was not found, so its dead letters cannot be read"
        : "deliveries go through a relay, which answered the code host 202: only the relay's records say what Sourcegraph never took",
      fix: ctx.relayRecords
        ? "run sg-webhooks doctor to see why"
        : `pass ${RELAY_FLAG} with the relay's data directory (or --database-url for relays on PostgreSQL)`,
    };
  }
  const records = await ctx.relayRecords.records(
    { receiverUuid: uuid, since: Date.now() - ctx.sinceMs, states: ["dead", "expired"] },
    10_000,
  );
  return records.filter((r) => r.kind === kind);
}

/**
 * Why a dead letter must not be resent as it is, or undefined when a resend may succeed: only an
 * expired one (the relay's retries ran out on no answer, 5xx or 429) may. Any other dead letter is
 * a refusal a resend meets again (relay.ts: a bad signature, an unknown receiver, a rejection).
 */
export function relayRefusal(r: RelayRecord): { message: string; fix: string } | undefined {
  if (r.state === "expired" || (r.reason === undefined && isRetryable(r.lastStatus))) return undefined;
  if (r.reason === "unknown_receiver" && r.lastStatus === undefined) {
    return {
      message: "its receiver is no longer among the relay's receivers",
      fix: "give the relay the current relayReceiversFile (pulumi stack output --show-secrets relayReceiversFile) and restart it, or send it elsewhere with sg-webhooks dlq replay --to-receiver",
    };
  }
  return {
    message: `Sourcegraph answered ${r.lastStatus ?? "nothing"}${r.reason ? ` (${r.reason})` : ""}`,
    fix: refusalFix(r.lastStatus, r.reason === "bad_signature"),
  };
}
