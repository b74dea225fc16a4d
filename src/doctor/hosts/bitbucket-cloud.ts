// A Bitbucket Cloud repository or workspace hook: found by UUID or by the URL it delivers to, its
// events and whether it is active. Bitbucket Cloud's API can neither send a test nor show past
// requests (its request history lives in the UI only), so the probe reports the newest delivery
// Sourcegraph (or the relay) recorded for the receiver instead: none yet is `no_delivery_yet`.
import { HookClient, type HookTarget, type RemoteHook } from "../../../providers/bitbucket-cloud";
import { type LoggedDelivery, listWebhookLogs } from "../../../providers/sourcegraph";
import { finding, pass, ROTATE_SECRET_FIX, skip } from "../codes";
import { hostCredential } from "../credentials";
import { hostFailure, missingCredential } from "../failures";
import type { Check, CheckName } from "../types";
import {
  checkEvents,
  type HookContext,
  hookMissing,
  notChecked,
  probeSkipped,
  receiverUuidOf,
  wrongUrl,
} from "./context";
import { lookUpHook } from "./find-hook";

const AFTER_HOOK: readonly CheckName[] = ["events", "active", "probe", "history"];

const trim = (u: string) => u.replace(/\/+$/, "");
/** Bitbucket writes UUIDs in braces in some places and not in others. */
const bare = (uuid: string) => uuid.replace(/^\{|\}$/g, "").toLowerCase();

export function hookTargetOf(kind: string, target: string, apiUrl: string): HookTarget {
  if (kind === "workspace") return { apiUrl, workspace: target };
  const [workspace = "", repository = ""] = target.split("/");
  return { apiUrl, workspace, repository };
}

async function findHook(ctx: HookContext, client: HookClient): Promise<{ hook?: RemoteHook; check?: Check }> {
  const { hook: planned, deliveryUrl } = ctx;
  if (planned.id !== undefined) {
    const hook = await client.get(planned.id);
    if (!hook) return { check: hookMissing(ctx, `with UUID ${planned.id}`) };
    if (deliveryUrl && trim(hook.url) !== trim(deliveryUrl)) return { hook, check: wrongUrl(ctx, hook.url) };
    return { hook };
  }
  if (!deliveryUrl) return {};
  const hooks = await client.list();
  const exact = hooks.find((h) => trim(h.url) === trim(deliveryUrl));
  if (exact) return { hook: exact };
  const uuid = receiverUuidOf(ctx);
  const near = uuid ? hooks.find((h) => h.url.includes(uuid)) : undefined;
  if (near) return { hook: near, check: wrongUrl(ctx, near.url) };
  return { check: hookMissing(ctx, `delivering to ${deliveryUrl}`) };
}

/** The newest delivery Sourcegraph logged from this hook (or from any, when logs carry no hook UUID). */
async function newestLogged(
  ctx: HookContext,
  hook: RemoteHook,
): Promise<LoggedDelivery | "unread" | undefined> {
  const sg = ctx.sourcegraph;
  if (!sg || !ctx.receiver) return "unread";
  try {
    const logs = await listWebhookLogs(sg.conn, ctx.receiver.id, { limit: 50 });
    return logs.find((l) => l.hookId === undefined || bare(l.hookId) === bare(hook.uuid));
  } catch {
    return "unread";
  }
}

async function probe(ctx: HookContext, hook: RemoteHook): Promise<Check> {
  const at = ctx.at;
  const uuid = receiverUuidOf(ctx);
  const dead =
    ctx.connection.relayUrl && ctx.relayRecords && uuid
      ? (await ctx.relayRecords.records({ receiverUuid: uuid }, 1))[0]
      : undefined;
  if (dead && (dead.state === "dead" || dead.state === "expired")) {
    const signature = dead.reason === "bad_signature";
    return finding(
      at,
      "probe",
      signature ? "probe_refused_signature" : "probe_refused",
      `the relay's newest delivery for this receiver (${new Date(dead.receivedAt).toISOString()}) was ${dead.state}: Sourcegraph ${dead.lastStatus !== undefined ? `answered ${dead.lastStatus}` : "did not answer"}`,
      signature
        ? `${ROTATE_SECRET_FIX}, then give the relay the new relayReceiversFile`
        : "see the relay check and sg-webhooks dlq list for why",
    );
  }
  const logged = await newestLogged(ctx, hook);
  if (logged === "unread") return skip(at, "probe", "Sourcegraph's webhook logs could not be read");
  if (logged === undefined) {
    return finding(
      at,
      "probe",
      "no_delivery_yet",
      "Bitbucket Cloud has no API to send a test, and Sourcegraph has logged no delivery for this receiver yet",
      "push to a repository the hook covers and run doctor again; Bitbucket shows each request under Repository settings > Webhooks > View requests (once its history is enabled)",
    );
  }
  if (logged.statusCode >= 200 && logged.statusCode < 300) {
    return pass(
      at,
      "probe",
      `the newest delivery Sourcegraph logged (${logged.receivedAt}) was answered ${logged.statusCode}`,
    );
  }
  if (logged.refusedSignature) {
    return finding(
      at,
      "probe",
      "probe_refused_signature",
      `Sourcegraph refused the newest delivery (${logged.receivedAt}): "Could not validate payload with secret": the hook's secret is not the receiver's`,
      ROTATE_SECRET_FIX,
    );
  }
  return finding(
    at,
    "probe",
    "probe_refused",
    `Sourcegraph answered ${logged.statusCode} to the newest delivery (${logged.receivedAt})`,
    "see the receiver's log in Site admin > Incoming webhooks for what Sourcegraph answered",
  );
}

export async function checkBitbucketCloudHook(ctx: HookContext): Promise<Check[]> {
  const { at, connection } = ctx;
  const credential = hostCredential(connection);
  if (!credential) {
    return [missingCredential(at, "hook", "bitbucketCloud"), ...notChecked(at, AFTER_HOOK, "no credentials")];
  }
  ctx.secrets.add(...(credential.kind === "token" ? [credential.token] : [credential.password]));
  const client = new HookClient(
    hookTargetOf(ctx.hook.kind, ctx.hook.target, ctx.hook.apiUrl),
    credential,
    ctx.secrets.list(),
  );
  const found = await lookUpHook(ctx, "bitbucketCloud", AFTER_HOOK, () => findHook(ctx, client));
  if ("stop" in found) return found.stop;
  const hook = found.hook;
  const checks: Check[] = [
    found.check ?? pass(at, "hook", `hook ${hook.uuid} delivers to ${hook.url}`),
    checkEvents(ctx, hook.events),
    hook.active
      ? pass(at, "active", "active")
      : finding(
          at,
          "active",
          "hook_inactive",
          "is inactive: Bitbucket sends it nothing",
          "run pulumi up --refresh to activate it",
        ),
  ];
  if (!ctx.timing.probe) checks.push(probeSkipped(ctx));
  else
    checks.push(
      await probe(ctx, hook).catch((err: unknown) =>
        hostFailure(at, "probe", "bitbucketCloud", err, ctx.secrets),
      ),
    );
  checks.push(
    skip(
      at,
      "history",
      "Bitbucket Cloud's API has no delivery history (Repository settings > Webhooks > View requests shows it)",
    ),
  );
  return checks;
}
