// A GitLab project or group hook: found by ID or by the URL it delivers to, its settings (events,
// TLS, whether GitLab disabled it after failures), a hook test followed into the relay and
// Sourcegraph (16.11+, groups 17.1+), and its failed executions (17.3+).
import type { HookScope } from "../../../providers/gitlab/types";
import { excerpt } from "../../../providers/http";
import { finding, pass, skip } from "../codes";
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
  wrongUrl,
} from "./context";
import { lookUpHook } from "./find-hook";
import { atLeast, GitLabApi, type GitLabHook, type GitLabHookEvent } from "./gitlab-api";

const AFTER_HOOK: readonly CheckName[] = ["events", "tls", "active", "probe", "history"];

const trim = (u: string) => u.replace(/\/+$/, "");

/** What each test trigger sends: Sourcegraph's `object_kind` and GitLab's `X-Gitlab-Event`. */
const TRIGGERS = {
  merge_requests_events: {
    objectKind: "merge_request",
    header: "Merge Request Hook",
    hooks: "merge_request_hooks",
  },
  push_events: { objectKind: "push", header: "Push Hook", hooks: "push_hooks" },
} as const;
type Trigger = keyof typeof TRIGGERS;

export async function findGitLabHook(
  ctx: HookContext,
  api: GitLabApi,
  scope: HookScope,
): Promise<{ hook?: GitLabHook; check?: Check }> {
  const { hook: planned, deliveryUrl } = ctx;
  if (planned.id !== undefined) {
    const hook = await api.hook(scope, planned.target, Number(planned.id));
    if (!hook) return { check: hookMissing(ctx, `with ID ${planned.id}`) };
    if (deliveryUrl && trim(hook.url) !== trim(deliveryUrl)) return { hook, check: wrongUrl(ctx, hook.url) };
    return { hook };
  }
  if (!deliveryUrl) return {};
  const hooks = await api.hooks(scope, planned.target);
  const exact = hooks.find((h) => trim(h.url) === trim(deliveryUrl));
  if (exact) return { hook: exact };
  const uuid = receiverUuidOf(ctx);
  const near = uuid ? hooks.find((h) => h.url.includes(uuid)) : undefined;
  if (near) return { hook: near, check: wrongUrl(ctx, near.url) };
  return { check: hookMissing(ctx, `delivering to ${deliveryUrl}`) };
}

function tlsCheck(ctx: HookContext, hook: GitLabHook): Check {
  if (hook.enableSslVerification) return pass(ctx.at, "tls", "verifies the receiver's TLS certificate");
  const declared = ctx.hook.sslVerification;
  if (declared === false) {
    return finding(
      ctx.at,
      "tls",
      "ssl_verification_off",
      "does not verify the receiver's TLS certificate, as declared (enableSslVerification: false)",
      "give the receiver a certificate GitLab trusts and remove enableSslVerification: false",
    );
  }
  if (declared === undefined) {
    return finding(
      ctx.at,
      "tls",
      "ssl_verification_off",
      "does not verify the receiver's TLS certificate; the stack outputs do not say whether that was declared",
      "run doctor with --config to tell a declared setting from drift",
    );
  }
  return finding(
    ctx.at,
    "tls",
    "ssl_verification_off",
    "does not verify the receiver's TLS certificate, although the declaration turns verification on",
    "run pulumi up --refresh to turn verification back on",
    "fail",
  );
}

function activeCheck(ctx: HookContext, hook: GitLabHook): Check {
  const fix =
    "fix what makes its deliveries fail (see the probe and history checks), then re-enable it: a successful test from Settings > Webhooks re-enables a hook";
  if (hook.alertStatus === "disabled") {
    return finding(
      ctx.at,
      "active",
      "hook_disabled",
      "GitLab disabled it after repeated failed deliveries",
      fix,
    );
  }
  if (hook.alertStatus === "temporarily_disabled") {
    return finding(
      ctx.at,
      "active",
      "hook_disabled",
      `GitLab disabled it after failed deliveries${hook.disabledUntil ? ` until ${hook.disabledUntil}` : ""}`,
      fix,
    );
  }
  return pass(ctx.at, "active", hook.alertStatus ? `alert status ${hook.alertStatus}` : "enabled");
}

const UNREACHED =
  /failed to open tcp|connection refused|execution expired|timed? ?out|getaddrinfo|ssl|certificate|econnrefused|ehostunreach|no route to host|network|blocked|internal error/i;

/** GitLab's 422 for a failed test, as the first hop: the receiver's answer, or why none came. */
export function firstHopOfTest(message: string, status: number | undefined, secrets: string[]): FirstHop {
  const said = excerpt(message, secrets, 200);
  if (message.includes("Could not validate payload with secret")) {
    return { kind: "answered", status: status ?? 400, refusedSignature: true };
  }
  if (message.includes("Could not find webhook with provided UUID"))
    return { kind: "answered", status: status ?? 404, said };
  if (status === undefined && UNREACHED.test(message)) return { kind: "notDelivered", reason: said };
  return { kind: "answered", ...(status !== undefined ? { status } : {}), said };
}

async function chooseTrigger(
  api: GitLabApi,
  scope: HookScope,
  owner: string,
  hook: GitLabHook,
): Promise<Trigger> {
  if (!hook.events.includes("merge_requests_events")) return "push_events";
  if (scope === "group") return "merge_requests_events";
  return (await api.hasMergeRequest(owner)) ? "merge_requests_events" : "push_events";
}

async function probe(ctx: HookContext, api: GitLabApi, scope: HookScope, hook: GitLabHook): Promise<Check> {
  const owner = ctx.hook.target;
  const version = await api.version();
  const needs = scope === "project" ? [16, 11] : [17, 1];
  if (!atLeast(version, needs[0]!, needs[1]!)) {
    return finding(
      ctx.at,
      "probe",
      "probe_unsupported",
      `GitLab ${version!.join(".")} cannot test a ${scope} hook through its API (${needs.join(".")} can)`,
      `upgrade GitLab to ${needs.join(".")} or later to let doctor send a test; the other checks still apply`,
    );
  }
  const withEvents = atLeast(version, 17, 3) && version !== undefined;
  const newestBefore = withEvents
    ? ((await api.events(scope, owner, hook.id, { limit: 1 }))[0]?.id ?? 0)
    : undefined;
  let trigger = await chooseTrigger(api, scope, owner, hook);
  const sentAt = Date.now();
  let outcome = await api.test(scope, owner, hook.id, trigger);
  if (outcome.kind === "noData" && trigger === "merge_requests_events") {
    trigger = "push_events";
    outcome = await api.test(scope, owner, hook.id, trigger);
  }
  if (outcome.kind === "unsupported") {
    return finding(
      ctx.at,
      "probe",
      "probe_unsupported",
      `GitLab answered 404 to the hook test route although the hook exists: this GitLab cannot test hooks through its API`,
      "upgrade GitLab to 16.11 or later (17.1 for group hooks) to let doctor send a test; the other checks still apply",
    );
  }
  if (outcome.kind === "noData") {
    return finding(
      ctx.at,
      "probe",
      "probe_unsupported",
      `GitLab has nothing to send a ${trigger} test with: "${excerpt(outcome.message, ctx.secrets.list(), 200)}"`,
      "push a commit to the project (or open a merge request) to let GitLab build a test delivery",
    );
  }
  const what = `${trigger} test`;
  // The execution's own record gives its status and Idempotency-Key (17.3+).
  let event: GitLabHookEvent | undefined;
  if (newestBefore !== undefined) {
    event = (await api.events(scope, owner, hook.id, { limit: 5 })).find((e) => e.id > newestBefore);
  }
  const status = event && /^\d{3}$/.test(event.responseStatus) ? Number(event.responseStatus) : undefined;
  const firstHop: FirstHop =
    outcome.kind === "sent"
      ? { kind: "answered", ...(status !== undefined ? { status } : {}) }
      : firstHopOfTest(outcome.message, status, ctx.secrets.list());
  if (
    firstHop.kind === "answered" &&
    firstHop.status !== undefined &&
    firstHop.status >= 500 &&
    trigger === "push_events" &&
    /determine repo/i.test(firstHop.said ?? "")
  ) {
    return finding(
      ctx.at,
      "probe",
      "probe_refused",
      `Sourcegraph answered ${firstHop.status} to the push test from GitLab ("${firstHop.said}"): no code host connection in Sourcegraph matches this repository`,
      `add the repository to a Sourcegraph code host connection for ${ctx.connection.codeHostUrn} (see the connection check)`,
    );
  }
  const { objectKind, header } = TRIGGERS[trigger];
  const key = event?.idempotencyKey;
  const uuid = receiverUuidOf(ctx);
  const relayed = ctx.connection.relayUrl !== undefined;
  const accepted = firstHop.kind === "answered" && (firstHop.status === undefined || firstHop.status < 300);
  const relayRecord =
    relayed && accepted && uuid
      ? await recordedByRelay(
          ctx,
          key ? { receiverUuid: uuid, deliveryId: key } : { receiverUuid: uuid, since: sentAt - 5_000 },
          (r) => key !== undefined || r.event === objectKind,
        )
      : undefined;
  const logged = await loggedBySourcegraph(
    ctx,
    sentAt - 60_000,
    (log) => (key ? log.deliveryId === key : log.event === header),
    accepted ? ctx.timing.waitMs : 0,
  );
  return judgeProbe(ctx.at, {
    sender: "GitLab",
    what,
    deliveryUrl: ctx.deliveryUrl ?? hook.url,
    firstHop,
    relayed,
    relayRecord,
    logged,
    waitedSeconds: Math.round(ctx.timing.waitMs / 1000),
  });
}

const succeeded = (e: GitLabHookEvent) => /^2\d\d$/.test(e.responseStatus);

/**
 * Events (by Idempotency-Key, which resends keep) with no successful execution, each as its newest
 * execution, newest first. A failure without a status (`internal error`: no connection, a timeout)
 * counts as failed too.
 */
export function failedKeys(events: readonly GitLabHookEvent[]): GitLabHookEvent[] {
  const keyOf = (e: GitLabHookEvent) => e.idempotencyKey ?? `#${e.id}`;
  const done = new Set(events.filter(succeeded).map(keyOf));
  const seen = new Set<string>();
  const out: GitLabHookEvent[] = [];
  for (const e of [...events].sort((a, b) => b.id - a.id)) {
    const key = keyOf(e);
    if (done.has(key) || seen.has(key)) continue;
    seen.add(key);
    out.push(e);
  }
  return out;
}

async function history(ctx: HookContext, api: GitLabApi, scope: HookScope, hook: GitLabHook): Promise<Check> {
  const version = await api.version();
  if (version === undefined || !atLeast(version, 17, 3)) {
    return skip(
      ctx.at,
      "history",
      `GitLab ${version ? version.join(".") : "(version unknown)"} has no API for a hook's deliveries (17.3 has)`,
    );
  }
  const since = ctx.timing.since;
  // Unfiltered: GitLab's status categories are HTTP codes, and a failure without one is neither.
  const events = await api.events(scope, ctx.hook.target, hook.id, { since, limit: 1000 });
  const sinceText = new Date(since).toISOString();
  const failed = failedKeys(events);
  if (failed.length === 0) {
    return pass(
      ctx.at,
      "history",
      `${events.length} execution(s) since ${sinceText}, no event left undelivered`,
    );
  }
  const newest = failed[0]!;
  return finding(
    ctx.at,
    "history",
    "recent_failures",
    `${failed.length} event(s) since ${sinceText} never got a 2xx (newest at ${newest.createdAt}: ${newest.responseStatus})`,
    "fix what the other checks report, then run sg-webhooks redeliver (GitLab 17.4+ resends failed events)",
  );
}

export async function checkGitLabHook(ctx: HookContext): Promise<Check[]> {
  const { at, connection } = ctx;
  const credential = hostCredential(connection);
  if (credential?.kind !== "token") {
    return [missingCredential(at, "hook", "gitlab"), ...notChecked(at, AFTER_HOOK, "no credentials")];
  }
  ctx.secrets.add(credential.token);
  const api = new GitLabApi(ctx.hook.apiUrl, credential.token, ctx.secrets.list());
  const scope: HookScope = ctx.hook.kind === "group" ? "group" : "project";
  const found = await lookUpHook(ctx, "gitlab", AFTER_HOOK, () => findGitLabHook(ctx, api, scope));
  if ("stop" in found) return found.stop;
  const hook = found.hook;
  const checks: Check[] = [
    found.check ?? pass(at, "hook", `hook ${hook.id} delivers to ${hook.url}`),
    checkEvents(ctx, hook.events),
    tlsCheck(ctx, hook),
    activeCheck(ctx, hook),
  ];
  if (!ctx.timing.probe) checks.push(probeSkipped(ctx));
  else if (found.check) checks.push(...notChecked(at, ["probe"], "the hook delivers elsewhere"));
  else {
    checks.push(
      await probe(ctx, api, scope, hook).catch((err: unknown) =>
        (err as { status?: number })?.status === 429
          ? skip(
              at,
              "probe",
              "GitLab kept answering 429 (it allows 5 hook tests a minute per hook and user)",
              "run doctor again in a minute",
            )
          : hostFailure(at, "probe", "gitlab", err, ctx.secrets),
      ),
    );
  }
  checks.push(
    await history(ctx, api, scope, hook).catch((err: unknown) =>
      hostFailure(at, "history", "gitlab", err, ctx.secrets),
    ),
  );
  return checks;
}
