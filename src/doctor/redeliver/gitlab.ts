// GitLab (17.4+) resends a hook's logged events. An event is one Idempotency-Key (its resends keep
// it), and one with no successful execution in the last 7 days (what GitLab keeps) is resent once,
// when its failure may go away. Through a relay, GitLab saw the relay's 202: the events to resend
// are the relay's dead letters, matched by Idempotency-Key. GitLab allows 5 resends a minute per
// hook and user: they go one at a time, and a 429 is waited for.
import type { HookScope } from "../../../providers/gitlab/types";
import { CREDENTIAL_HINTS, hostCredential } from "../credentials";
import { failedKeys, findGitLabHook } from "../hosts/gitlab";
import { atLeast, GitLabApi, type GitLabHook, type GitLabHookEvent } from "../hosts/gitlab-api";
import { hookNotFound, type RedeliverContext, relayDeadLetters, relayRefusal } from "./context";
import { type Action, isRetryable, type Outcome, refusalFix } from "./types";

const WEEK = 7 * 86_400_000;

function action(
  ctx: RedeliverContext,
  e: GitLabHookEvent | undefined,
  outcome: Outcome,
  message: string,
  fix = "",
): Action {
  return {
    connection: ctx.connection.id,
    target: ctx.at.target,
    delivery: e ? String(e.id) : "",
    event: e?.trigger ?? "",
    outcome,
    message: ctx.secrets.clean(message),
    fix: ctx.secrets.clean(fix),
  };
}

/** The HTTP status GitLab recorded, or undefined for a failure without one (`internal error`). */
const statusOf = (e: GitLabHookEvent): number | undefined =>
  /^\d{3}$/.test(e.responseStatus) ? Number(e.responseStatus) : undefined;

async function resend(
  ctx: RedeliverContext,
  api: GitLabApi,
  scope: HookScope,
  hook: GitLabHook,
  e: GitLabHookEvent,
  why: string,
): Promise<Action> {
  if (ctx.dryRun)
    return action(ctx, e, "would_redeliver", `would resend ${e.trigger} event ${e.id} (${why})`);
  try {
    await api.resend(scope, ctx.hook.target, hook.id, e.id);
    return action(ctx, e, "redelivered", `resent ${e.trigger} event ${e.id} (${why})`);
  } catch (err) {
    return action(
      ctx,
      e,
      "failed",
      `GitLab did not resend event ${e.id}: ${(err as Error).message}`,
      "run redeliver again; if it keeps failing, resend it from Settings > Webhooks > Edit > Recent events",
    );
  }
}

export async function redeliverGitLab(ctx: RedeliverContext): Promise<Action[]> {
  const credential = hostCredential(ctx.connection);
  if (credential?.kind !== "token")
    return [action(ctx, undefined, "failed", "no GitLab credentials", CREDENTIAL_HINTS.gitlab)];
  ctx.secrets.add(credential.token);
  const api = new GitLabApi(ctx.hook.apiUrl, credential.token, ctx.secrets.list());
  const scope: HookScope = ctx.hook.kind === "group" ? "group" : "project";
  const found = await findGitLabHook(ctx, api, scope);
  if (!found.hook) return [hookNotFound(ctx, found.check)];
  const hook = found.hook;
  const version = await api.version();
  if (version !== undefined && !atLeast(version, 17, 4)) {
    return [
      action(
        ctx,
        undefined,
        "unsupported",
        `GitLab ${version.join(".")} cannot resend a hook's events through its API (17.4 can)`,
        "upgrade GitLab, or resend failed events by hand from Settings > Webhooks > Edit > Recent events",
      ),
    ];
  }
  const since = Math.max(Date.now() - ctx.sinceMs, Date.now() - WEEK);
  const owner = ctx.hook.target;
  const actions: Action[] = [];
  if (ctx.connection.relayUrl !== undefined) {
    const dead = await relayDeadLetters(ctx, "GITLAB");
    if (!Array.isArray(dead)) return [dead];
    const byKey = new Map<string, GitLabHookEvent>();
    for (const e of await api.events(scope, owner, hook.id, { since, limit: 5000 })) {
      if (e.idempotencyKey && !byKey.has(e.idempotencyKey)) byKey.set(e.idempotencyKey, e);
    }
    let unmatched = 0;
    for (const r of dead) {
      const e = r.deliveryId ? byKey.get(r.deliveryId) : undefined;
      if (!e) {
        unmatched++;
        continue;
      }
      const refused = relayRefusal(r);
      if (refused)
        actions.push(
          action(
            ctx,
            e,
            "not_retryable",
            `the relay dead-lettered event ${e.id}: ${refused.message}`,
            refused.fix,
          ),
        );
      else
        actions.push(
          await resend(
            ctx,
            api,
            scope,
            hook,
            e,
            `the relay ${r.state === "expired" ? "gave up on it" : "dead-lettered it"}`,
          ),
        );
    }
    if (unmatched > 0 && ctx.connection.hooks.length === 1) {
      actions.push(
        action(
          ctx,
          undefined,
          "too_old",
          `${unmatched} dead letter(s) are not among this hook's events of the last 7 days`,
          "replay them from the relay: sg-webhooks dlq replay (--data-dir <dir> | --database-url <url>) --receiver <uuid>",
        ),
      );
    }
  } else {
    const events = await api.events(scope, owner, hook.id, { since, limit: 5000 });
    for (const e of failedKeys(events)) {
      const status = statusOf(e);
      if (!isRetryable(status)) {
        actions.push(
          action(
            ctx,
            e,
            "not_retryable",
            `${e.trigger} event ${e.id} was refused with ${status}; a resend would be refused again`,
            refusalFix(status, false),
          ),
        );
      } else {
        actions.push(await resend(ctx, api, scope, hook, e, `last execution: ${e.responseStatus}`));
      }
    }
  }
  if (actions.length === 0)
    actions.push(action(ctx, undefined, "nothing", "every event of the window got a 2xx"));
  return actions;
}
