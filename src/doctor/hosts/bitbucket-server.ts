// A webhook of the Sourcegraph Bitbucket Server plugin: found by its name (its upsert key) or by
// the URL it delivers to, its events (the plugin matches them by prefix), a probe, and the plugin's
// `lastError`. The plugin has no test route, but registering a hook sends a signed `ping`
// (WebhookRegistry.register), so the probe re-posts the definition exactly as the plugin returns it,
// secret included (never shown), and reads `lastEvent`/`lastError` and Sourcegraph's logs.
import {
  listWebhooks,
  type PluginWebhook,
  type Session,
  upsertWebhook,
} from "../../../providers/bitbucket-server";
import { excerpt } from "../../../providers/http";
import { type LoggedDelivery, listWebhookLogs } from "../../../providers/sourcegraph";
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

const AFTER_HOOK: readonly CheckName[] = ["events", "probe", "history"];
const SENDER = "the Bitbucket Server plugin";

const trim = (u: string) => u.replace(/\/+$/, "");

function findHook(
  ctx: HookContext,
  hooks: readonly PluginWebhook[],
): { hook?: PluginWebhook; check?: Check } {
  const { hook: planned, deliveryUrl } = ctx;
  const name = planned.id ?? planned.expectedName;
  const delivers = (h: PluginWebhook) => deliveryUrl !== undefined && trim(h.endpoint) === trim(deliveryUrl);
  const byName = name !== undefined ? hooks.find((h) => h.name === name) : undefined;
  if (byName)
    return delivers(byName) || !deliveryUrl
      ? { hook: byName }
      : { hook: byName, check: wrongUrl(ctx, byName.endpoint) };
  if (planned.id !== undefined) return { check: hookMissing(ctx, `named ${planned.id}`) };
  if (!deliveryUrl) return {};
  const sameScope = hooks.find((h) => delivers(h) && h.scope === planned.target);
  const anyScope = ctx.connection.hooks.length === 1 ? hooks.find(delivers) : undefined;
  const hook = sameScope ?? anyScope;
  if (hook) return { hook };
  const uuid = receiverUuidOf(ctx);
  const near = uuid ? hooks.find((h) => h.endpoint.includes(uuid)) : undefined;
  if (near) return { hook: near, check: wrongUrl(ctx, near.endpoint) };
  return { check: hookMissing(ctx, `delivering to ${deliveryUrl}${name ? ` (nor one named ${name})` : ""}`) };
}

/** The plugin matches event keys by prefix at a `:` (`pr` covers `pr:activity:merge`). */
export function pluginCovers(live: readonly string[], event: string): boolean {
  return live.some((e) => e === event || event.startsWith(`${e}:`));
}

/** The plugin's `lastError` ("Failed to dispatch webhook: 400 Bad Request") as a first hop. */
export function firstHopOfError(lastError: string, secrets: string[]): FirstHop {
  const m = /Failed to dispatch webhook: (\d{3})\b/.exec(lastError);
  if (m) return { kind: "answered", status: Number(m[1]) };
  return { kind: "notDelivered", reason: excerpt(lastError, secrets, 200) };
}

async function probe(ctx: HookContext, session: Session, hook: PluginWebhook): Promise<Check> {
  if (hook.secret === undefined) {
    return finding(
      ctx.at,
      "probe",
      "probe_unsupported",
      "the plugin did not return the hook's secret, so re-registering it (the plugin's only way to send a ping) would remove it",
      "check the hook by hand: its Last successful column in Bitbucket's administration page of the Sourcegraph plugin",
    );
  }
  const before = { lastEvent: hook.lastEvent, lastError: hook.lastError };
  const sg = ctx.sourcegraph;
  const receiver = ctx.receiver;
  const logsNow = () =>
    sg && receiver
      ? listWebhookLogs(sg.conn, receiver.id, { limit: 20 }).catch((): LoggedDelivery[] => [])
      : Promise.resolve([]);
  const seenLogs = new Set((await logsNow()).map((l) => l.id));
  const sentAt = Date.now();
  await upsertWebhook(session, {
    name: hook.name,
    scope: hook.scope,
    events: hook.events,
    endpoint: hook.endpoint,
    secret: hook.secret,
  });
  // lastEvent has a second's precision: a ping in the same second as the last one leaves it as it
  // was. A new ping in Sourcegraph's logs ends the watch as well.
  const pinged = (log: LoggedDelivery) =>
    !seenLogs.has(log.id) &&
    log.event === "ping" &&
    (log.hookId === undefined || log.hookId === String(hook.id));
  const after = await watch(ctx.timing, async () => {
    const now = (await listWebhooks(session)).find((h) => h.name === hook.name);
    if (now && (now.lastEvent !== before.lastEvent || now.lastError !== before.lastError)) return now;
    return (await logsNow()).some(pinged) ? now : undefined;
  });
  const latest = after ?? (await listWebhooks(session)).find((h) => h.name === hook.name) ?? hook;
  let firstHop: FirstHop =
    latest.lastError !== undefined
      ? firstHopOfError(latest.lastError, ctx.secrets.list())
      : { kind: "answered" };
  // The plugin and Sourcegraph both show their secret: a 400 with different secrets is a signature refusal.
  const receiverSecret = ctx.receiver?.secret;
  if (
    firstHop.kind === "answered" &&
    firstHop.status === 400 &&
    receiverSecret &&
    receiverSecret !== hook.secret
  ) {
    firstHop = { ...firstHop, refusedSignature: true };
  }
  const accepted = firstHop.kind === "answered" && (firstHop.status === undefined || firstHop.status < 300);
  const uuid = receiverUuidOf(ctx);
  const relayed = ctx.connection.relayUrl !== undefined;
  const relayRecord =
    relayed && accepted && uuid
      ? await recordedByRelay(ctx, { receiverUuid: uuid, since: sentAt - 5_000 }, (r) => r.event === "ping")
      : undefined;
  const logged = await loggedBySourcegraph(ctx, sentAt - 60_000, pinged, accepted ? ctx.timing.waitMs : 0);
  return judgeProbe(ctx.at, {
    sender: SENDER,
    what: "ping",
    deliveryUrl: ctx.deliveryUrl ?? hook.endpoint,
    firstHop,
    relayed,
    relayRecord,
    logged,
    waitedSeconds: Math.round(ctx.timing.waitMs / 1000),
  });
}

function history(ctx: HookContext, hook: PluginWebhook): Check {
  if (hook.lastError !== undefined) {
    return finding(
      ctx.at,
      "history",
      "recent_failures",
      `the plugin's last attempt failed: "${excerpt(hook.lastError, ctx.secrets.list(), 200)}"${hook.lastEvent ? ` (last success: ${hook.lastEvent})` : ""}`,
      "fix what the other checks report; the plugin retries a failed delivery 4 times over about 8 minutes, and cannot redeliver older ones (through a relay, use sg-webhooks dlq replay)",
    );
  }
  return pass(
    ctx.at,
    "history",
    hook.lastEvent ? `last successful delivery: ${hook.lastEvent}` : "no failed delivery recorded",
  );
}

export async function checkBitbucketServerHook(ctx: HookContext): Promise<Check[]> {
  const { at, connection } = ctx;
  const credential = hostCredential(connection);
  if (!credential) {
    return [
      missingCredential(at, "hook", "bitbucketServer"),
      ...notChecked(at, AFTER_HOOK, "no credentials"),
    ];
  }
  ctx.secrets.add(...(credential.kind === "token" ? [credential.token] : [credential.password]));
  const session: Session = { instanceUrl: ctx.hook.apiUrl, credential, secrets: ctx.secrets.list() };
  let hooks: PluginWebhook[] = [];
  const found = await lookUpHook(
    ctx,
    "bitbucketServer",
    AFTER_HOOK,
    async () => {
      hooks = await listWebhooks(session);
      // The plugin's list carries every hook's secret.
      for (const h of hooks) ctx.secrets.add(h.secret);
      return findHook(ctx, hooks);
    },
    "the hooks could not be read",
  );
  if ("stop" in found) return found.stop;
  const hook = found.hook;
  const checks: Check[] = [
    found.check ??
      pass(at, "hook", `plugin hook ${hook.name} (scope ${hook.scope}) delivers to ${hook.endpoint}`),
    checkEvents(ctx, hook.events, (e) => pluginCovers(hook.events, e)),
  ];
  if (!ctx.timing.probe) checks.push(probeSkipped(ctx));
  else if (found.check) checks.push(...notChecked(at, ["probe"], "the hook delivers elsewhere"));
  else {
    checks.push(
      await probe(ctx, { ...session, secrets: ctx.secrets.list() }, hook).catch((err: unknown) =>
        hostFailure(at, "probe", "bitbucketServer", err, ctx.secrets),
      ),
    );
  }
  // The probe may have changed lastEvent and lastError: history reads them as they are now.
  const now = ctx.timing.probe
    ? (await listWebhooks(session).catch(() => hooks)).find((h) => h.name === hook.name)
    : hook;
  checks.push(history(ctx, now ?? hook));
  return checks;
}
