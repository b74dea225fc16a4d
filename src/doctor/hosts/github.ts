// A GitHub organization or repository hook: found by ID or by the URL it delivers to, its settings
// (events, TLS, content type, active), a ping followed into the relay and Sourcegraph, and its
// failed deliveries. Only the API can see a secret changed by hand: GitHub masks it, and the ping
// is refused for its signature.
import {
  type GitHubConnection,
  type GitHubHook,
  getDelivery,
  getHook,
  type HookDelivery,
  type HookOwner,
  listDeliveries,
  listHooks,
  pingHook,
} from "../../../providers/github";
import { finding, pass } from "../codes";
import { hostCredential } from "../credentials";
import { hostFailure, missingCredential } from "../failures";
import { type FirstHop, judgeProbe } from "../probe-verdict";
import type { Check, CheckName } from "../types";
import {
  checkEvents,
  type HookContext,
  hookMissing,
  loggedBySourcegraph,
  notChecked,
  probeSkipped,
  receiverUuidOf,
  recordedByRelay,
  watch,
  wrongUrl,
} from "./context";
import { lookUpHook } from "./find-hook";

const AFTER_HOOK: readonly CheckName[] = ["events", "tls", "content_type", "active", "probe", "history"];

export function ownerOf(kind: string, target: string): HookOwner {
  if (kind === "organization") return { kind: "organization", org: target };
  const [owner = "", repo = ""] = target.split("/");
  return { kind: "repository", owner, repo };
}

const trim = (u: string) => u.replace(/\/+$/, "");
const ok = (status: number) => status >= 200 && status < 300;

export async function findGitHubHook(
  ctx: HookContext,
  conn: GitHubConnection,
  owner: HookOwner,
): Promise<{ hook?: GitHubHook; check?: Check }> {
  const { hook: planned, deliveryUrl } = ctx;
  if (planned.id !== undefined) {
    const hook = await getHook(conn, owner, Number(planned.id));
    if (!hook) return { check: hookMissing(ctx, `with ID ${planned.id}`) };
    if (deliveryUrl && trim(hook.url) !== trim(deliveryUrl)) return { hook, check: wrongUrl(ctx, hook.url) };
    return { hook };
  }
  if (!deliveryUrl) return {};
  const hooks = await listHooks(conn, owner);
  const exact = hooks.find((h) => trim(h.url) === trim(deliveryUrl));
  if (exact) return { hook: exact };
  const uuid = receiverUuidOf(ctx);
  const near = uuid ? hooks.find((h) => h.url.includes(uuid)) : undefined;
  if (near) return { hook: near, check: wrongUrl(ctx, near.url) };
  return { check: hookMissing(ctx, `delivering to ${deliveryUrl}`) };
}

function settingsChecks(ctx: HookContext, hook: GitHubHook): Check[] {
  const at = ctx.at;
  return [
    checkEvents(ctx, hook.events, (e) => hook.events.includes(e) || hook.events.includes("*")),
    hook.insecureSsl
      ? finding(
          at,
          "tls",
          "ssl_verification_off",
          "does not verify the receiver's TLS certificate (insecure_ssl is 1), which the component never declares",
          "run pulumi up --refresh to turn verification back on",
          "fail",
        )
      : pass(at, "tls", "verifies the receiver's TLS certificate"),
    hook.contentType === "json"
      ? pass(at, "content_type", "sends application/json")
      : finding(
          at,
          "content_type",
          "content_type_not_json",
          `sends ${hook.contentType} (GitHub's default is form); Sourcegraph's documentation asks for json`,
          "run pulumi up --refresh: the component sets the content type to json",
        ),
    hook.active
      ? pass(at, "active", "active")
      : finding(
          at,
          "active",
          "hook_inactive",
          "is inactive: GitHub sends it nothing",
          "run pulumi up --refresh to activate it",
        ),
  ];
}

async function probe(
  ctx: HookContext,
  conn: GitHubConnection,
  owner: HookOwner,
  hook: GitHubHook,
): Promise<Check> {
  const deliveryUrl = ctx.deliveryUrl ?? hook.url;
  const before = new Set(
    (await listDeliveries(conn, owner, hook.id, { limit: 50 })).deliveries.map((d) => d.id),
  );
  const sentAt = Date.now();
  await pingHook(conn, owner, hook.id);
  const delivery = await watch(ctx.timing, async () =>
    (await listDeliveries(conn, owner, hook.id, { limit: 50 })).deliveries.find(
      (d) => d.event === "ping" && !before.has(d.id),
    ),
  );
  const evidence = {
    sender: "GitHub",
    what: "ping",
    deliveryUrl,
    relayed: ctx.connection.relayUrl !== undefined,
  };
  const waitedSeconds = Math.round(ctx.timing.waitMs / 1000);
  if (!delivery) {
    return judgeProbe(ctx.at, {
      ...evidence,
      waitedSeconds,
      firstHop: {
        kind: "notDelivered",
        reason: `GitHub recorded no delivery of the ping within ${waitedSeconds} s`,
      },
    });
  }
  let firstHop: FirstHop;
  if (delivery.statusCode === 0) {
    firstHop = { kind: "notDelivered", reason: ctx.secrets.clean(delivery.status || "no answer") };
  } else if (delivery.statusCode === 400) {
    // The answer's body is read only to recognise the refusal; it is never shown.
    const detail = await getDelivery(conn, owner, hook.id, delivery.id);
    const refused = detail?.responseBody.includes("Could not validate payload with secret") === true;
    firstHop = { kind: "answered", status: 400, refusedSignature: refused };
  } else {
    firstHop = { kind: "answered", status: delivery.statusCode };
  }
  const hookId = String(hook.id);
  const uuid = receiverUuidOf(ctx);
  const accepted = firstHop.kind === "answered" && ok(delivery.statusCode);
  const relayRecord =
    evidence.relayed && accepted && uuid
      ? await recordedByRelay(
          ctx,
          { receiverUuid: uuid, deliveryId: delivery.guid },
          (r) => !r.hookId || r.hookId === hookId,
        )
      : undefined;
  const settledOk =
    typeof relayRecord !== "object" || relayRecord.state === "delivered" || relayRecord.state === "ignored";
  const logged = await loggedBySourcegraph(
    ctx,
    sentAt - 60_000,
    (log) => log.deliveryId === delivery.guid && (!log.hookId || log.hookId === hookId),
    accepted && settledOk ? ctx.timing.waitMs : 0,
  );
  return judgeProbe(ctx.at, { ...evidence, waitedSeconds, firstHop, relayRecord, logged });
}

/** Events with no successful attempt among `deliveries` (grouped by `guid`, as GitHub's own scripts do). */
export function failedEvents(deliveries: readonly HookDelivery[]): HookDelivery[][] {
  const byGuid = new Map<string, HookDelivery[]>();
  for (const d of deliveries) byGuid.set(d.guid, [...(byGuid.get(d.guid) ?? []), d]);
  return [...byGuid.values()].filter((attempts) => !attempts.some((d) => ok(d.statusCode)));
}

async function history(
  ctx: HookContext,
  conn: GitHubConnection,
  owner: HookOwner,
  hook: GitHubHook,
): Promise<Check> {
  const since = new Date(ctx.timing.since).toISOString();
  const { deliveries } = await listDeliveries(conn, owner, hook.id, { since: ctx.timing.since });
  const failed = failedEvents(deliveries);
  const events = new Set(deliveries.map((d) => d.guid)).size;
  if (failed.length === 0)
    return pass(ctx.at, "history", `${events} event(s) since ${since}, every one delivered`);
  const newest = failed
    .map((attempts) => attempts[0]!)
    .sort((a, b) => b.deliveredAt.localeCompare(a.deliveredAt))[0]!;
  const answer = newest.statusCode === 0 ? ctx.secrets.clean(newest.status) : String(newest.statusCode);
  return finding(
    ctx.at,
    "history",
    "recent_failures",
    `${failed.length} of ${events} event(s) since ${since} never got a 2xx (newest at ${newest.deliveredAt}: ${answer})`,
    "fix what the other checks report, then run sg-webhooks redeliver: GitHub never redelivers by itself, and keeps deliveries 3 days (7 on GitHub Enterprise Server)",
  );
}

export async function checkGitHubHook(ctx: HookContext): Promise<Check[]> {
  const { at, connection } = ctx;
  const credential = hostCredential(connection);
  if (credential?.kind !== "token") {
    return [missingCredential(at, "hook", "github"), ...notChecked(at, AFTER_HOOK, "no credentials")];
  }
  ctx.secrets.add(credential.token);
  const conn: GitHubConnection = {
    apiUrl: ctx.hook.apiUrl,
    token: credential.token,
    tokenSource: credential.source,
    secrets: ctx.secrets.list(),
  };
  const owner = ownerOf(ctx.hook.kind, ctx.hook.target);
  const found = await lookUpHook(ctx, "github", AFTER_HOOK, () => findGitHubHook(ctx, conn, owner));
  if ("stop" in found) return found.stop;
  const hook = found.hook;
  const checks = [
    found.check ?? pass(at, "hook", `hook ${hook.id} delivers to ${hook.url}`),
    ...settingsChecks(ctx, hook),
  ];
  const deliversRight = found.check === undefined;
  if (!ctx.timing.probe) checks.push(probeSkipped(ctx));
  else if (!deliversRight || !hook.active) {
    checks.push(
      ...notChecked(at, ["probe"], deliversRight ? "the hook is inactive" : "the hook delivers elsewhere"),
    );
  } else {
    checks.push(
      await probe(ctx, conn, owner, hook).catch((err: unknown) =>
        hostFailure(at, "probe", "github", err, ctx.secrets),
      ),
    );
  }
  checks.push(
    await history(ctx, conn, owner, hook).catch((err: unknown) =>
      hostFailure(at, "history", "github", err, ctx.secrets),
    ),
  );
  return checks;
}
