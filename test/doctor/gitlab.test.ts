// doctor and redeliver against the GitLab and Sourcegraph stand-ins: project and group hooks pass
// every check with a hook test followed into Sourcegraph's logs; GitLab 16.0 cannot test
// (probe_unsupported, a warning); a disabled hook, a removed event and a changed token each give
// their code; failed events are resent once (GitLab's 5-a-minute limit waited out), and not again.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { runDoctor, runRedeliver } from "../../src/doctor";
import { type GitLabFake, startGitLabFake } from "../../src/stand-ins/gitlab";
import { type SourcegraphFake, startSourcegraphFake } from "../../src/stand-ins/sourcegraph";
import { checkOf, type HookOut, outputs, problems, quick, sourcegraphEnv } from "./helpers";

const TOKEN = "gl-test-doctor-owner-0123456789";
const SECRET = "doctor-gitlab-secret-0123456789abcdef";
const EVENTS = ["merge_requests_events", "pipeline_events", "push_events"];

let sg: SourcegraphFake;
let gl: GitLabFake;
let plan: string;
let projectHook: number;
let groupHook: number;

async function start(options: { hookRateLimit?: { limit: number; windowMs: number } } = {}): Promise<void> {
  sg = await startSourcegraphFake();
  gl = await startGitLabFake({
    tokens: { [TOKEN]: "owner" },
    projects: ["acme/app"],
    groups: ["acme"],
    ...options,
  });
  sourcegraphEnv(sg.url);
  vi.stubEnv("GITLAB_TOKEN", TOKEN);
  const receiver = sg.seed({
    name: "prod-gitlab",
    codeHostKind: "GITLAB",
    codeHostURN: gl.url,
    secret: SECRET,
  });
  sg.addCodeHostConnection({ kind: "GITLAB", url: gl.url });
  const url = `${sg.url}/.api/webhooks/${receiver.uuid}`;
  projectHook = gl.addHook("project", "acme/app", { url, token: SECRET, events: EVENTS }).id;
  groupHook = gl.addHook("group", "acme", { url, token: SECRET, events: EVENTS }).id;
  const connection = "gitlab/gitlab";
  const hook = (kind: string, target: string, id: number): HookOut => ({
    connection,
    codeHost: "gitlab",
    kind,
    target,
    id: String(id),
    receiverUuid: receiver.uuid,
    deliveryUrl: url,
    apiUrl: gl.url,
    events: EVENTS,
  });
  plan = outputs(
    [{ connection, codeHostKind: "GITLAB", codeHostUrn: gl.url, uuid: receiver.uuid, url, deliveryUrl: url }],
    [hook("project", "acme/app", projectHook), hook("group", "acme", groupHook)],
  );
}

afterEach(async () => {
  vi.unstubAllEnvs();
  await Promise.all([sg.close(), gl.close()]);
});

describe("doctor on GitLab", () => {
  beforeEach(() => start());

  it("project and group hooks pass every check, each test followed into Sourcegraph's logs", async () => {
    gl.addMergeRequest("acme/app", "a change");
    const report = await runDoctor(quick(plan));
    expect(problems(report)).toEqual([]);
    expect(checkOf(report, "probe", "project acme/app").message).toMatch(
      /merge_requests_events test.*Sourcegraph logged it with 200/,
    );
    // The group's test sends its project's merge request too.
    expect(checkOf(report, "probe", "group acme").message).toMatch(/merge_requests_events test/);
    expect(checkOf(report, "history", "project acme/app")).toMatchObject({ status: "ok" });
  });

  it("without a merge request, project and group hooks are tested with a push", async () => {
    const report = await runDoctor(quick(plan));
    expect(checkOf(report, "probe", "project acme/app").message).toMatch(/push_events test/);
    // GitLab refuses the group's merge request test ("Ensure the project has merge requests."): the push follows.
    expect(checkOf(report, "probe", "group acme").message).toMatch(/push_events test/);
    expect(report.ok).toBe(true);
  });

  it("GitLab 16.0 cannot test hooks: probe_unsupported, a warning, and doctor still passes", async () => {
    gl.setVersion("16.0.0");
    const report = await runDoctor(quick(plan));
    expect(checkOf(report, "probe", "project acme/app")).toMatchObject({
      status: "warn",
      code: "probe_unsupported",
    });
    expect(checkOf(report, "history", "project acme/app")).toMatchObject({ status: "skip" });
    expect(report.ok).toBe(true);
  });

  it("a test route answering 404 while the hook exists is probe_unsupported too", async () => {
    gl.setVersion("17.0.0");
    // 17.0 tests project hooks but not group hooks; it does not say so but with a 404.
    const report = await runDoctor(quick(plan));
    expect(checkOf(report, "probe", "group acme")).toMatchObject({
      status: "warn",
      code: "probe_unsupported",
    });
    expect(checkOf(report, "probe", "project acme/app")).toMatchObject({ status: "ok" });
  });

  it("from the stack file alone: the receiver found by kind and URL, each hook by the URL it delivers to", async () => {
    const dir = mkdtempSync(join(tmpdir(), "doctor-gitlab-config-"));
    try {
      writeFileSync(join(dir, "Pulumi.yaml"), "name: sourcegraph-webhooks\nruntime: nodejs\n");
      const file = join(dir, "Pulumi.prod.yaml");
      writeFileSync(
        file,
        [
          "config:",
          "  sourcegraph-webhooks:sourcegraph:",
          `    endpoint: ${sg.url}`,
          "  sourcegraph-webhooks:gitlab:",
          `    - url: ${gl.url}`,
          "      token:",
          "        secure: v1:AAAAnotdecrypted",
          "      projects: [acme/app]",
          "      groups: [acme]",
          "",
        ].join("\n"),
      );
      const report = await runDoctor({ config: file, waitMs: 4_000, pollMs: 100 });
      expect(problems(report)).toEqual([]);
      expect(checkOf(report, "hook", "project acme/app").message).toContain(
        `hook ${projectHook} delivers to`,
      );
      expect(checkOf(report, "hook", "group acme").message).toContain(`hook ${groupHook} delivers to`);
      // A receiver made again has a new URL: no hook delivers to it yet.
      const old = sg.receivers()[0]!;
      sg.remove(old.uuid);
      sg.seed({ name: "again", codeHostKind: "GITLAB", codeHostURN: gl.url, secret: SECRET });
      const after = await runDoctor({ config: file, probe: false });
      expect(checkOf(after, "hook", "project acme/app")).toMatchObject({ code: "hook_missing" });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("a hook GitLab disabled after failures: hook_disabled", async () => {
    gl.disableHook(projectHook, "permanently");
    const report = await runDoctor(quick(plan, { probe: false }));
    expect(checkOf(report, "active", "project acme/app")).toMatchObject({
      status: "fail",
      code: "hook_disabled",
    });
  });

  it("an event removed, TLS verification turned off, a token changed by hand", async () => {
    gl.setHook(projectHook, { events: ["push_events"], enableSslVerification: false });
    gl.setHook(groupHook, { token: "changed-by-hand-0000000000000000" });
    const report = await runDoctor(quick(plan));
    expect(checkOf(report, "events", "project acme/app")).toMatchObject({ code: "hook_events_missing" });
    expect(checkOf(report, "events", "project acme/app").message).toContain(
      "merge_requests_events, pipeline_events",
    );
    // The outputs do not say whether verification was declared off: a warning that says so.
    expect(checkOf(report, "tls", "project acme/app")).toMatchObject({
      status: "warn",
      code: "ssl_verification_off",
    });
    expect(checkOf(report, "probe", "group acme")).toMatchObject({
      status: "fail",
      code: "probe_refused_signature",
      fix: "rotate the connection's secret through pulumi up",
    });
  });

  it("a hook deleted: hook_missing", async () => {
    gl.deleteHook(groupHook);
    const report = await runDoctor(quick(plan));
    expect(checkOf(report, "hook", "group acme")).toMatchObject({ code: "hook_missing" });
    expect(checkOf(report, "hook", "project acme/app")).toMatchObject({ status: "ok" });
  });

  it("Sourcegraph down during the test: the failure GitLab reports is probe_not_delivered", async () => {
    vi.stubEnv("SG_WEBHOOKS_RETRY_ATTEMPTS", "1");
    await sg.refuseConnections();
    const report = await runDoctor(quick(plan));
    expect(checkOf(report, "receiver").code).toBe("sourcegraph_unreachable");
    expect(checkOf(report, "probe", "project acme/app")).toMatchObject({ code: "probe_not_delivered" });
    expect(checkOf(report, "probe", "project acme/app").message).toContain("Connection refused");
  });
});

describe("redeliver on GitLab", () => {
  it("resends each failed event once, waiting out GitLab's limit, and a second run sends nothing", async () => {
    await start({ hookRateLimit: { limit: 2, windowMs: 3_000 } });
    await sg.refuseConnections();
    const keys: string[] = [];
    for (let i = 0; i < 4; i++) {
      const [run] = await gl.emit("project", "acme/app", "push_events");
      keys.push(run!.log.idempotencyKey);
    }
    await sg.acceptConnections();
    const connection = JSON.parse(plan).hooks[0];
    const projectOnly = outputs(JSON.parse(plan).receivers, [connection]);

    const first = await runRedeliver(quick(projectOnly));
    expect(first.actions.map((a) => a.outcome)).toEqual([
      "redelivered",
      "redelivered",
      "redelivered",
      "redelivered",
    ]);
    const received = () =>
      sg.deliveries
        .filter((d) => keys.includes(String(d.headers["idempotency-key"])))
        .map((d) => d.headers["idempotency-key"]);
    expect(received().sort()).toEqual([...keys].sort());

    const second = await runRedeliver(quick(projectOnly));
    expect(second.actions).toEqual([expect.objectContaining({ outcome: "nothing" })]);
    expect(received()).toHaveLength(4);
  }, 60_000);

  it("GitLab before 17.4 cannot resend, and says so", async () => {
    await start();
    gl.setVersion("17.3.0");
    const report = await runRedeliver(quick(plan));
    expect(report.actions.map((a) => a.outcome)).toEqual(["unsupported", "unsupported"]);
    expect(report.actions[0]!.message).toContain("17.4");
  });
});
