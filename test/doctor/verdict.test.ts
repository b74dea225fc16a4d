// The pure judgements: what a probe proved from its three witnesses (code host, relay, Sourcegraph's
// logs), which failed events a code host's history holds, and which failures a resend may fix.
import { describe, expect, it } from "vitest";
import type { HookDelivery } from "../../providers/github";
import type { LoggedDelivery } from "../../providers/sourcegraph";
import { ROTATE_SECRET_FIX } from "../../src/doctor/codes";
import { firstHopOfError, pluginCovers } from "../../src/doctor/hosts/bitbucket-server";
import { failedEvents } from "../../src/doctor/hosts/github";
import { failedKeys, firstHopOfTest } from "../../src/doctor/hosts/gitlab";
import type { GitLabHookEvent } from "../../src/doctor/hosts/gitlab-api";
import { judgeProbe, type ProbeEvidence } from "../../src/doctor/probe-verdict";
import { relayRefusal } from "../../src/doctor/redeliver/context";
import { isRetryable } from "../../src/doctor/redeliver/types";
import type { RelayRecord } from "../../src/doctor/relay";

const at = { connection: "github/github.com", target: "organization acme" };
const base: ProbeEvidence = {
  sender: "GitHub",
  what: "ping",
  deliveryUrl: "https://sg.example.com/.api/webhooks/u",
  firstHop: { kind: "answered", status: 200 },
  relayed: false,
  waitedSeconds: 30,
};
const log = (statusCode: number, refusedSignature = false): LoggedDelivery => ({
  id: "l1",
  receivedAt: "2026-03-01T10:00:00Z",
  statusCode,
  refusedSignature,
});
const record = (fields: Partial<RelayRecord>): RelayRecord => ({
  receiverUuid: "u",
  kind: "GITHUB",
  event: "ping",
  state: "delivered",
  attempts: 1,
  receivedAt: 0,
  ...fields,
});

describe("judgeProbe", () => {
  it("ok when the code host saw a 2xx and Sourcegraph logged it", () => {
    const c = judgeProbe(at, { ...base, logged: log(200) });
    expect(c).toMatchObject({ check: "probe", status: "ok", code: "ok", fix: "" });
  });

  it("logging_off (warn) when the code host saw a 2xx but Sourcegraph logged nothing", () => {
    const c = judgeProbe(at, { ...base, logged: undefined });
    expect(c).toMatchObject({ status: "warn", code: "logging_off" });
    expect(c.fix).toContain("webhook.logging");
  });

  it("probe_not_delivered when nothing answered", () => {
    const c = judgeProbe(at, { ...base, firstHop: { kind: "notDelivered", reason: "failed to connect" } });
    expect(c).toMatchObject({ status: "fail", code: "probe_not_delivered" });
    expect(c.message).toContain("failed to connect");
  });

  it("probe_refused_signature, fixed by rotating the secret, whether the code host or the log says so", () => {
    const fromHost = judgeProbe(at, {
      ...base,
      firstHop: { kind: "answered", status: 400, refusedSignature: true },
    });
    const fromLog = judgeProbe(at, {
      ...base,
      firstHop: { kind: "answered", status: 400 },
      logged: log(400, true),
    });
    for (const c of [fromHost, fromLog]) {
      expect(c).toMatchObject({ status: "fail", code: "probe_refused_signature", fix: ROTATE_SECRET_FIX });
    }
  });

  it("probe_refused for another status, with what to do", () => {
    expect(judgeProbe(at, { ...base, firstHop: { kind: "answered", status: 404 } })).toMatchObject({
      code: "probe_refused",
    });
    const c = judgeProbe(at, { ...base, firstHop: { kind: "answered", status: 500, said: "boom" } });
    expect(c).toMatchObject({ code: "probe_refused" });
    expect(c.message).toContain('answered 500 to the ping from GitHub ("boom")');
  });

  it("through a relay: what the relay recorded decides", () => {
    const relayed = { ...base, relayed: true, firstHop: { kind: "answered" as const, status: 202 } };
    expect(
      judgeProbe(at, {
        ...relayed,
        relayRecord: record({ state: "delivered", lastStatus: 200 }),
        logged: log(200),
      }).code,
    ).toBe("ok");
    expect(
      judgeProbe(at, { ...relayed, relayRecord: record({ state: "delivered", lastStatus: 200 }) }).code,
    ).toBe("logging_off");
    expect(judgeProbe(at, { ...relayed, relayRecord: record({ state: "pending", attempts: 3 }) }).code).toBe(
      "probe_not_delivered",
    );
    expect(judgeProbe(at, { ...relayed, relayRecord: "missing" }).code).toBe("probe_not_delivered");
    const refused = judgeProbe(at, {
      ...relayed,
      relayRecord: record({ state: "dead", lastStatus: 400, reason: "bad_signature" }),
    });
    expect(refused.code).toBe("probe_refused_signature");
    expect(refused.fix).toContain("relayReceiversFile");
    expect(judgeProbe(at, { ...relayed, relayRecord: record({ state: "expired", attempts: 9 }) }).code).toBe(
      "probe_not_delivered",
    );
    // Without the relay's records, logs alone: nothing logged may also mean "not forwarded yet".
    expect(judgeProbe(at, { ...relayed, relayRecord: "unread" }).message).toContain("--relay-data-dir");
  });
});

describe("GitLab's test answers", () => {
  it("reads Sourcegraph's words, or why nothing answered", () => {
    expect(firstHopOfTest("Could not validate payload with secret.\n", undefined, [])).toMatchObject({
      refusedSignature: true,
      status: 400,
    });
    expect(
      firstHopOfTest("Failed to open TCP connection to 10.0.0.1:443 (Connection refused)", undefined, []),
    ).toMatchObject({ kind: "notDelivered" });
    expect(firstHopOfTest("could not determine repo from CloneURL", 500, [])).toMatchObject({
      kind: "answered",
      status: 500,
      said: "could not determine repo from CloneURL",
    });
  });

  it("an event is failed only when no execution with its Idempotency-Key succeeded", () => {
    const e = (id: number, key: string, status: string): GitLabHookEvent => ({
      id,
      trigger: "push_hooks",
      responseStatus: status,
      createdAt: "2026-03-01T10:00:00Z",
      idempotencyKey: key,
    });
    const events = [
      e(6, "k3", "200"),
      e(5, "k2", "500"),
      e(4, "k1", "internal error"),
      e(3, "k1", "500"),
      e(2, "k3", "internal error"),
    ];
    expect(failedKeys(events).map((x) => x.id)).toEqual([5, 4]);
  });
});

describe("the Bitbucket Server plugin", () => {
  it("matches events by prefix at a colon", () => {
    expect(pluginCovers(["pr", "repo:refs_changed"], "pr:activity:merge")).toBe(true);
    expect(pluginCovers(["pr:activity"], "pr:participant:status")).toBe(false);
    expect(pluginCovers(["repo:ref"], "repo:refs_changed")).toBe(false);
  });

  it("reads lastError as an answer or as a failure to deliver", () => {
    expect(firstHopOfError("Failed to dispatch webhook: 400 Bad Request", [])).toEqual({
      kind: "answered",
      status: 400,
    });
    expect(firstHopOfError("Failed to dispatch webhook: connect ECONNREFUSED", [])).toMatchObject({
      kind: "notDelivered",
    });
  });
});

describe("GitHub's failed events", () => {
  const d = (id: number, guid: string, statusCode: number): HookDelivery => ({
    id,
    guid,
    deliveredAt: `2026-03-01T10:0${id}:00Z`,
    redelivery: false,
    status: "",
    statusCode,
    event: "push",
    action: null,
  });
  it("are the guids without a 2xx attempt, newest attempt first", () => {
    const groups = failedEvents([d(6, "a", 202), d(5, "b", 502), d(4, "a", 0), d(3, "b", 0), d(2, "c", 400)]);
    expect(groups.map((g) => g.map((x) => x.id))).toEqual([[5, 3], [2]]);
  });
});

describe("what a resend may fix", () => {
  it("no answer, 5xx and 429 only", () => {
    expect([undefined, 0, 429, 500, 502].every(isRetryable)).toBe(true);
    expect([400, 401, 404, 422].some(isRetryable)).toBe(false);
  });

  it("of the relay's dead letters, only the expired ones", () => {
    expect(relayRefusal(record({ state: "expired", reason: "expired" }))).toBeUndefined();
    expect(relayRefusal(record({ state: "dead", lastStatus: 400, reason: "bad_signature" }))?.fix).toContain(
      "rotate",
    );
    expect(relayRefusal(record({ state: "dead", reason: "unknown_receiver" }))?.fix).toContain(
      "relayReceiversFile",
    );
    expect(
      relayRefusal(record({ state: "dead", lastStatus: 404, reason: "unknown_receiver" }))?.fix,
    ).toContain("pulumi up");
  });
});
