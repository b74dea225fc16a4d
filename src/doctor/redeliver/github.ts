// GitHub never redelivers by itself. Its deliveries are grouped by `guid` (one event, every attempt)
// and an event with no successful attempt is redelivered once, within GitHub's window (3 days, 7 on
// GitHub Enterprise Server), when its failure may go away (no answer, 5xx, 429). Through a relay,
// GitHub saw the relay's 202: the events to resend are the relay's dead letters, by guid and hook.
import {
  type GitHubConnection,
  type GitHubHook,
  type HookDelivery,
  type HookOwner,
  isEnterpriseServer,
  listDeliveries,
  redeliver,
} from "../../../providers/github";
import { CREDENTIAL_HINTS, hostCredential } from "../credentials";
import { failedEvents, findGitHubHook, ownerOf } from "../hosts/github";
import type { RelayRecord } from "../relay";
import { hookNotFound, type RedeliverContext, relayDeadLetters, relayRefusal } from "./context";
import { type Action, isRetryable, type Outcome, refusalFix } from "./types";

const DAY = 86_400_000;

function action(
  ctx: RedeliverContext,
  d: Pick<HookDelivery, "id" | "event"> | undefined,
  outcome: Outcome,
  message: string,
  fix = "",
): Action {
  return {
    connection: ctx.connection.id,
    target: ctx.at.target,
    delivery: d ? String(d.id) : "",
    event: d?.event ?? "",
    outcome,
    message: ctx.secrets.clean(message),
    fix: ctx.secrets.clean(fix),
  };
}

async function resend(
  ctx: RedeliverContext,
  conn: GitHubConnection,
  owner: HookOwner,
  hook: GitHubHook,
  d: HookDelivery,
  why: string,
): Promise<Action> {
  if (ctx.dryRun) return action(ctx, d, "would_redeliver", `would redeliver ${d.event} ${d.guid} (${why})`);
  try {
    await redeliver(conn, owner, hook.id, d.id);
    return action(ctx, d, "redelivered", `redelivered ${d.event} ${d.guid} (${why})`);
  } catch (err) {
    return action(
      ctx,
      d,
      "failed",
      `GitHub did not redeliver ${d.guid}: ${(err as Error).message}`,
      "run redeliver again; if it keeps failing, redeliver it from the hook's Recent Deliveries tab",
    );
  }
}

const answer = (d: HookDelivery) => (d.statusCode === 0 ? d.status || "no answer" : String(d.statusCode));

export async function redeliverGitHub(ctx: RedeliverContext): Promise<Action[]> {
  const credential = hostCredential(ctx.connection);
  if (credential?.kind !== "token")
    return [action(ctx, undefined, "failed", "no GitHub credentials", CREDENTIAL_HINTS.github)];
  ctx.secrets.add(credential.token);
  const conn: GitHubConnection = {
    apiUrl: ctx.hook.apiUrl,
    token: credential.token,
    tokenSource: credential.source,
    secrets: ctx.secrets.list(),
  };
  const owner = ownerOf(ctx.hook.kind, ctx.hook.target);
  const found = await findGitHubHook(ctx, conn, owner);
  if (!found.hook) return [hookNotFound(ctx, found.check)];
  const hook = found.hook;
  const now = Date.now();
  const window = (isEnterpriseServer(conn.apiUrl) ? 7 : 3) * DAY;
  const oldest = now - window;
  const { deliveries } = await listDeliveries(conn, owner, hook.id, { since: now - ctx.sinceMs });
  const actions: Action[] = [];

  if (ctx.connection.relayUrl !== undefined) {
    const dead = await relayDeadLetters(ctx, "GITHUB");
    if (!Array.isArray(dead)) return [dead];
    const newestByGuid = new Map<string, HookDelivery>();
    for (const d of deliveries) if (!newestByGuid.has(d.guid)) newestByGuid.set(d.guid, d);
    // A ping carries nothing to act on: neither GitHub's nor the relay's are sent again.
    const mine = dead.filter(
      (r: RelayRecord) =>
        r.event !== "ping" &&
        r.deliveryId !== undefined &&
        (!r.hookId || r.hookId === String(hook.id)) &&
        newestByGuid.has(r.deliveryId),
    );
    for (const r of mine) {
      const d = newestByGuid.get(r.deliveryId!)!;
      const refused = relayRefusal(r);
      if (refused)
        actions.push(
          action(
            ctx,
            d,
            "not_retryable",
            `the relay dead-lettered ${d.event} ${d.guid}: ${refused.message}`,
            refused.fix,
          ),
        );
      else if (Date.parse(d.deliveredAt) < oldest)
        actions.push(
          action(
            ctx,
            d,
            "too_old",
            `${d.event} ${d.guid} is older than GitHub's redelivery window`,
            "replay it from the relay instead: sg-webhooks dlq replay",
          ),
        );
      else
        actions.push(
          await resend(
            ctx,
            conn,
            owner,
            hook,
            d,
            `the relay ${r.state === "expired" ? "gave up on it" : "dead-lettered it"}`,
          ),
        );
    }
    const unmatched = dead.filter(
      (r) =>
        r.event !== "ping" && r.deliveryId && r.hookId === String(hook.id) && !newestByGuid.has(r.deliveryId),
    );
    if (unmatched.length > 0) {
      actions.push(
        action(
          ctx,
          undefined,
          "too_old",
          `${unmatched.length} dead letter(s) of this hook are no longer listed by GitHub`,
          "replay them from the relay: sg-webhooks dlq replay (--data-dir <dir> | --database-url <url>) --receiver <uuid>",
        ),
      );
    }
  } else {
    for (const attempts of failedEvents(deliveries)) {
      const d = attempts[0]!;
      if (d.event === "ping") continue;
      if (!isRetryable(d.statusCode)) {
        actions.push(
          action(
            ctx,
            d,
            "not_retryable",
            `${d.event} ${d.guid} was refused with ${d.statusCode}; a redelivery would be refused again`,
            refusalFix(d.statusCode, false),
          ),
        );
      } else if (Date.parse(d.deliveredAt) < oldest) {
        actions.push(
          action(
            ctx,
            d,
            "too_old",
            `${d.event} ${d.guid} (${answer(d)}) is older than GitHub's redelivery window`,
            "GitHub can no longer redeliver it",
          ),
        );
      } else {
        actions.push(await resend(ctx, conn, owner, hook, d, `last attempt: ${answer(d)}`));
      }
    }
  }
  if (actions.length === 0)
    actions.push(action(ctx, undefined, "nothing", "every event since the start of the window got a 2xx"));
  return actions;
}
