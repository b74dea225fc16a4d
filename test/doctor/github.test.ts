// doctor and redeliver against the GitHub and Sourcegraph stand-ins, delivering directly: a healthy
// hook passes every check, each kind of breakage gives its code and a fix, and after an outage
// redeliver makes Sourcegraph receive each missed event exactly once, and a second run sends nothing.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { github as githubEvents } from "../../providers/events";
import { runDoctor, runRedeliver } from "../../src/doctor";
import { GITHUB_ADMIN_TOKEN, type GitHubFake, startGitHubFake } from "../../src/stand-ins/github";
import { type SourcegraphFake, startSourcegraphFake } from "../../src/stand-ins/sourcegraph";
import { checkOf, outputs, problems, quick, sourcegraphEnv } from "./helpers";

const SECRET = "doctor-github-secret-0123456789abcdef";
const EVENTS = [...githubEvents.batchChanges, ...githubEvents.push];

let sg: SourcegraphFake;
let gh: GitHubFake;
let plan: string;
let hookId: number;

beforeEach(async () => {
  sg = await startSourcegraphFake();
  gh = await startGitHubFake({ orgs: ["acme"] });
  sourcegraphEnv(sg.url);
  vi.stubEnv("GITHUB_TOKEN", GITHUB_ADMIN_TOKEN);
  const receiver = sg.seed({
    name: "prod-github",
    codeHostKind: "GITHUB",
    codeHostURN: gh.url,
    secret: SECRET,
  });
  sg.addCodeHostConnection({ kind: "GITHUB", url: gh.url });
  const url = `${sg.url}/.api/webhooks/${receiver.uuid}`;
  hookId = gh.addHook("acme", { url, secret: SECRET, events: EVENTS, contentType: "json" }).id;
  await gh.settled();
  const connection = "github/ghe";
  plan = outputs(
    [{ connection, codeHostKind: "GITHUB", codeHostUrn: gh.url, uuid: receiver.uuid, url, deliveryUrl: url }],
    [
      {
        connection,
        codeHost: "github",
        kind: "organization",
        target: "acme",
        id: String(hookId),
        receiverUuid: receiver.uuid,
        deliveryUrl: url,
        apiUrl: gh.apiUrl,
        events: EVENTS,
      },
    ],
  );
});

afterEach(async () => {
  vi.unstubAllEnvs();
  await Promise.all([sg.close(), gh.close()]);
});

describe("doctor on GitHub", () => {
  it("a healthy hook passes every check, the ping followed into Sourcegraph's logs", async () => {
    const report = await runDoctor(quick(plan));
    expect(problems(report)).toEqual([]);
    expect(report.ok).toBe(true);
    expect(report.checks.map((c) => c.check)).toEqual([
      "receiver",
      "connection",
      "history",
      "hook",
      "events",
      "tls",
      "content_type",
      "active",
      "probe",
      "history",
    ]);
    expect(checkOf(report, "probe").message).toMatch(/Sourcegraph logged it with 200/);
    // The ping went out through GitHub, signed: Sourcegraph accepted it.
    expect(sg.deliveries.filter((d) => d.headers["x-github-event"] === "ping").map((d) => d.status)).toEqual([
      200, 200,
    ]);
  });

  it("--no-probe lists the probe as skipped and sends nothing", async () => {
    const before = gh.deliveries().length;
    const report = await runDoctor(quick(plan, { probe: false }));
    expect(checkOf(report, "probe")).toMatchObject({ status: "skip", code: "skipped" });
    expect(report.ok).toBe(true);
    expect(gh.deliveries()).toHaveLength(before);
  });

  it("a secret changed on GitHub by hand: probe_refused_signature, fixed by rotating through pulumi up", async () => {
    gh.setHook(hookId, { secret: "changed-by-hand-in-the-github-ui-0000" });
    const report = await runDoctor(quick(plan));
    expect(checkOf(report, "probe")).toMatchObject({
      status: "fail",
      code: "probe_refused_signature",
      fix: "rotate the connection's secret through pulumi up",
    });
    expect(report.ok).toBe(false);
  });

  it("drift in the hook's settings: each has its code", async () => {
    gh.setHook(hookId, { events: ["push"], insecureSsl: "1", contentType: "form", active: false });
    const report = await runDoctor(quick(plan));
    expect(problems(report)).toEqual([
      "events hook_events_missing",
      "tls ssl_verification_off",
      "content_type content_type_not_json",
      "active hook_inactive",
      "probe skipped",
    ]);
    expect(checkOf(report, "tls").status).toBe("fail");
    expect(checkOf(report, "events").message).toContain("pull_request");
  });

  it("a hook deleted on GitHub: hook_missing, and the hook's other checks are not made", async () => {
    gh.deleteHook(hookId);
    const report = await runDoctor(quick(plan));
    expect(checkOf(report, "hook")).toMatchObject({ status: "fail", code: "hook_missing" });
    expect(checkOf(report, "probe")).toMatchObject({ status: "skip" });
  });

  it("a receiver deleted in Sourcegraph: receiver_missing, and the probe is refused with 404", async () => {
    sg.remove(sg.receivers()[0]!.uuid);
    const report = await runDoctor(quick(plan));
    expect(checkOf(report, "receiver")).toMatchObject({ status: "fail", code: "receiver_missing" });
    expect(checkOf(report, "probe")).toMatchObject({ code: "probe_refused" });
    expect(checkOf(report, "probe").message).toContain("404");
  });

  it("its code host connection deleted: connection_missing", async () => {
    sg.removeCodeHostConnection(gh.url);
    const report = await runDoctor(quick(plan));
    expect(checkOf(report, "connection")).toMatchObject({ status: "fail", code: "connection_missing" });
  });

  it("Sourcegraph unreachable, GitHub unreachable, a missing token, a refused token", async () => {
    vi.stubEnv("SG_WEBHOOKS_RETRY_ATTEMPTS", "1");
    await sg.refuseConnections();
    expect(checkOf(await runDoctor(quick(plan, { probe: false })), "receiver").code).toBe(
      "sourcegraph_unreachable",
    );
    await sg.acceptConnections();
    await gh.refuseConnections();
    expect(checkOf(await runDoctor(quick(plan)), "hook").code).toBe("code_host_unreachable");
    await gh.acceptConnections();
    vi.stubEnv("GITHUB_TOKEN", "");
    expect(checkOf(await runDoctor(quick(plan)), "hook")).toMatchObject({ code: "credentials_missing" });
    vi.stubEnv("GITHUB_TOKEN", "gh-test-revokedrevokedrevokedrevoked0000");
    const refused = checkOf(await runDoctor(quick(plan)), "hook");
    expect(refused).toMatchObject({ code: "unauthorized" });
    expect(refused.fix).toContain("admin:org_hook");
    expect(refused.message).not.toContain("ghp_revoked");
  });

  it("Sourcegraph's webhook logging off: logging_off (a warning)", async () => {
    sg.toggles.webhookLogging = false;
    const report = await runDoctor(quick(plan, { waitMs: 1_000 }));
    expect(checkOf(report, "probe")).toMatchObject({ status: "warn", code: "logging_off" });
    expect(report.ok).toBe(true);
  });

  it("a GitHub answering 429 with Retry-After is waited for, not hammered", async () => {
    await gh.close();
    gh = await startGitHubFake({
      orgs: ["acme"],
      port: Number(new URL(gh.url).port),
      network: { rateLimit: { limit: 3, windowMs: 1_000 } },
    });
    const receiver = sg.receivers()[0]!;
    hookId = gh.addHook("acme", {
      url: `${sg.url}/.api/webhooks/${receiver.uuid}`,
      secret: SECRET,
      events: EVENTS,
      contentType: "json",
    }).id;
    await gh.settled();
    const report = await runDoctor(quick(plan.replace(/"id":"\d+"/, `"id":"${hookId}"`), { waitMs: 8_000 }));
    expect(problems(report)).toEqual([]);
    const refused = gh.log.filter((r) => r.outcome === 429).length;
    const admitted = gh.log.filter((r) => r.outcome !== 429).length;
    // Each 429 paused the origin until Retry-After: far fewer refusals than requests.
    expect(refused).toBeGreaterThan(0);
    expect(refused).toBeLessThan(admitted);
  });
});

describe("redeliver on GitHub", () => {
  it("after an outage, each missed event reaches Sourcegraph exactly once, and a second run sends nothing", async () => {
    await sg.refuseConnections();
    const missed: string[] = [];
    for (let i = 0; i < 20; i++) {
      const [d] = await gh.emit("acme", "push", { ref: `refs/heads/b${i}` });
      missed.push(d!.guid);
    }
    expect(
      gh
        .deliveries(hookId)
        .filter((d) => missed.includes(d.guid))
        .every((d) => d.statusCode === 0),
    ).toBe(true);
    await sg.acceptConnections();

    const dry = await runRedeliver(quick(plan, { dryRun: true }));
    expect(dry.actions.filter((a) => a.outcome === "would_redeliver")).toHaveLength(20);
    expect(sg.deliveries.filter((d) => missed.includes(String(d.headers["x-github-delivery"])))).toHaveLength(
      0,
    );

    const first = await runRedeliver(quick(plan));
    expect(first.ok).toBe(true);
    expect(first.actions.filter((a) => a.outcome === "redelivered")).toHaveLength(20);
    await gh.settled();
    const received = sg.deliveries
      .filter((d) => missed.includes(String(d.headers["x-github-delivery"])))
      .map((d) => `${d.headers["x-github-delivery"]} ${d.status}`);
    expect(received.sort()).toEqual(missed.map((g) => `${g} 200`).sort());

    const second = await runRedeliver(quick(plan));
    expect(second.actions).toEqual([expect.objectContaining({ outcome: "nothing" })]);
    await gh.settled();
    expect(sg.deliveries.filter((d) => missed.includes(String(d.headers["x-github-delivery"])))).toHaveLength(
      20,
    );
  });

  it("a delivery refused with a 4xx is reported with its fix, not resent", async () => {
    gh.setHook(hookId, { secret: "changed-by-hand-in-the-github-ui-0000" });
    await gh.emit("acme", "push", {});
    const report = await runRedeliver(quick(plan));
    expect(report.ok).toBe(false);
    expect(report.actions).toEqual([
      expect.objectContaining({
        outcome: "not_retryable",
        fix: expect.stringContaining("rotate the connection's secret"),
      }),
    ]);
  });
});
