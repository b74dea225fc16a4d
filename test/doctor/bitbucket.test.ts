// doctor and redeliver against the Bitbucket Server plugin, Bitbucket Cloud and Sourcegraph
// stand-ins: the plugin's probe re-registers the hook exactly as listed (its secret included, never
// shown) and reads lastEvent/lastError; Bitbucket Cloud has no test API, so a hook that has not
// delivered yet is no_delivery_yet (a warning); neither Bitbucket can be asked to resend.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { HookClient } from "../../providers/bitbucket-cloud";
import { upsertWebhook } from "../../providers/bitbucket-server";
import { bitbucketCloud as bbcEvents, bitbucketServer as bbsEvents } from "../../providers/events";
import { renderHuman, renderJson, runDoctor, runRedeliver } from "../../src/doctor";
import { type BitbucketCloudFake, startBitbucketCloudFake } from "../../src/stand-ins/bitbucket-cloud";
import { type BitbucketServerFake, startBitbucketServerFake } from "../../src/stand-ins/bitbucket-server";
import { type SourcegraphFake, startSourcegraphFake } from "../../src/stand-ins/sourcegraph";
import { checkOf, outputs, problems, quick, sourcegraphEnv } from "./helpers";

const SECRET = "doctor-bitbucket-secret-0123456789ab";
const BBS_TOKEN = "bbs-admin-token";
const BBC_TOKEN = "bbc-access-token";
const BBS_EVENTS = [...bbsEvents.batchChanges, ...bbsEvents.push];
const BBC_EVENTS = [...bbcEvents.batchChanges, ...bbcEvents.push];

let sg: SourcegraphFake;

beforeEach(async () => {
  sg = await startSourcegraphFake();
  sourcegraphEnv(sg.url);
});

afterEach(async () => {
  vi.unstubAllEnvs();
  await sg.close();
});

describe("the Bitbucket Server plugin", () => {
  let bbs: BitbucketServerFake;
  let plan: string;
  const NAME = "prod-sourcegraph-bitbucketServer-global";

  beforeEach(async () => {
    bbs = await startBitbucketServerFake({ deliverTestEvents: true });
    vi.stubEnv("BITBUCKET_SERVER_TOKEN", BBS_TOKEN);
    const receiver = sg.seed({
      name: "prod-bbs",
      codeHostKind: "BITBUCKETSERVER",
      codeHostURN: bbs.url,
      secret: SECRET,
    });
    sg.addCodeHostConnection({ kind: "BITBUCKETSERVER", url: bbs.url });
    const url = `${sg.url}/.api/webhooks/${receiver.uuid}`;
    await upsertWebhook(
      { instanceUrl: bbs.url, credential: { kind: "token", token: BBS_TOKEN, source: "test" }, secrets: [] },
      { name: NAME, scope: "global", events: BBS_EVENTS, endpoint: url, secret: SECRET },
    );
    await bbs.settled();
    const connection = "bitbucketServer/bbs";
    plan = outputs(
      [
        {
          connection,
          codeHostKind: "BITBUCKETSERVER",
          codeHostUrn: bbs.url,
          uuid: receiver.uuid,
          url,
          deliveryUrl: url,
        },
      ],
      [
        {
          connection,
          codeHost: "bitbucketServer",
          kind: "plugin",
          target: "global",
          id: NAME,
          receiverUuid: receiver.uuid,
          deliveryUrl: url,
          apiUrl: bbs.url,
          events: BBS_EVENTS,
        },
      ],
    );
  });

  afterEach(() => bbs.close());

  it("a healthy hook passes every check; the probe re-registers it as listed, and shows no secret", async () => {
    const before = bbs.deliveries.length;
    const report = await runDoctor(quick(plan));
    expect(problems(report)).toEqual([]);
    expect(checkOf(report, "probe").message).toMatch(/ping.*Sourcegraph logged it with 200/);
    await bbs.settled();
    expect(bbs.deliveries.length).toBe(before + 1);
    // Re-posted exactly: the hook keeps its secret, events and endpoint.
    expect(bbs.webhook(NAME)).toMatchObject({ secret: SECRET, scope: "global" });
    expect([...bbs.webhook(NAME)!.events].sort()).toEqual([...BBS_EVENTS].sort());
    for (const text of [renderJson(report), renderHuman(report)]) {
      expect(text).not.toContain(SECRET);
      expect(text).not.toContain(BBS_TOKEN);
    }
  });

  it("a secret changed in the plugin's UI: probe_refused_signature", async () => {
    bbs.edit(NAME, { secret: "changed-in-the-plugin-ui-000000000" });
    const report = await runDoctor(quick(plan));
    expect(checkOf(report, "probe")).toMatchObject({ code: "probe_refused_signature", status: "fail" });
    expect(checkOf(report, "history", "plugin global")).toMatchObject({
      code: "recent_failures",
      status: "warn",
    });
    expect(renderJson(report)).not.toContain("changed-in-the-plugin-ui");
  });

  it("an event removed, the hook removed, the plugin gone, a user who is not a system admin", async () => {
    bbs.edit(NAME, { events: ["repo:refs_changed"] });
    expect(checkOf(await runDoctor(quick(plan, { probe: false })), "events").code).toBe(
      "hook_events_missing",
    );
    bbs.remove(NAME);
    expect(checkOf(await runDoctor(quick(plan)), "hook").code).toBe("hook_missing");
    bbs.setPluginInstalled(false);
    const gone = checkOf(await runDoctor(quick(plan)), "hook");
    expect(gone.code).toBe("hook_missing");
    expect(gone.message).toContain("has no Sourcegraph plugin");
    bbs.setPluginInstalled(true);
    vi.stubEnv("BITBUCKET_SERVER_TOKEN", "bbs-user-token");
    expect(checkOf(await runDoctor(quick(plan)), "hook").code).toBe("unauthorized");
  });

  it("redeliver says the plugin cannot resend", async () => {
    const report = await runRedeliver(quick(plan));
    expect(report.actions).toEqual([expect.objectContaining({ outcome: "unsupported" })]);
    expect(report.ok).toBe(true);
  });
});

describe("Bitbucket Cloud", () => {
  let bbc: BitbucketCloudFake;
  let receiverUuid: string;
  let url: string;

  beforeEach(async () => {
    bbc = await startBitbucketCloudFake({ deliverTestEvents: true });
    vi.stubEnv("BITBUCKET_CLOUD_TOKEN", BBC_TOKEN);
    const receiver = sg.seed({
      name: "prod-bbc",
      codeHostKind: "BITBUCKETCLOUD",
      codeHostURN: "https://bitbucket.org",
      secret: SECRET,
    });
    sg.addCodeHostConnection({ kind: "BITBUCKETCLOUD", url: "https://bitbucket.org" });
    receiverUuid = receiver.uuid;
    url = `${sg.url}/.api/webhooks/${receiver.uuid}`;
  });

  afterEach(() => bbc.close());

  const planFor = (hookUuid: string) =>
    outputs(
      [
        {
          connection: "bitbucketCloud/bitbucket.org",
          codeHostKind: "BITBUCKETCLOUD",
          codeHostUrn: "https://bitbucket.org",
          uuid: receiverUuid,
          url,
          deliveryUrl: url,
        },
      ],
      [
        {
          connection: "bitbucketCloud/bitbucket.org",
          codeHost: "bitbucketCloud",
          kind: "workspace",
          target: "acme",
          id: hookUuid,
          receiverUuid,
          deliveryUrl: url,
          apiUrl: bbc.apiUrl,
          events: BBC_EVENTS,
        },
      ],
    );

  it("a hook that has delivered nothing yet: no_delivery_yet, a warning, and doctor passes", async () => {
    const hook = bbc.addHook({
      workspace: "acme",
      url,
      description: "by hand",
      events: BBC_EVENTS,
      secret: SECRET,
    });
    const report = await runDoctor(quick(planFor(hook.uuid)));
    expect(problems(report)).toEqual(["probe no_delivery_yet", "history skipped"]);
    expect(checkOf(report, "probe").status).toBe("warn");
    expect(report.ok).toBe(true);
  });

  it("the newest delivery Sourcegraph logged is the probe; a refused one gives its code", async () => {
    const client = new HookClient(
      { apiUrl: bbc.apiUrl, workspace: "acme" },
      { kind: "token", token: BBC_TOKEN, source: "test" },
    );
    const created = await client.create({
      url,
      description: "Sourcegraph",
      active: true,
      events: BBC_EVENTS,
      secret: SECRET,
    });
    const healthy = await runDoctor(quick(planFor(created.uuid)));
    expect(checkOf(healthy, "probe")).toMatchObject({ status: "ok" });
    expect(healthy.ok).toBe(true);

    const other = await client.create({
      url,
      description: "wrong secret",
      active: true,
      events: BBC_EVENTS,
      secret: "not-the-receiver-secret-00000000",
    });
    const refused = await runDoctor(quick(planFor(other.uuid)));
    expect(checkOf(refused, "probe")).toMatchObject({ code: "probe_refused_signature" });
  });

  it("an inactive hook, and a deleted one", async () => {
    const hook = bbc.addHook({
      workspace: "acme",
      url,
      description: "x",
      events: BBC_EVENTS,
      secret: SECRET,
    });
    bbc.setHook(hook.uuid, { active: false });
    expect(checkOf(await runDoctor(quick(planFor(hook.uuid))), "active").code).toBe("hook_inactive");
    bbc.removeHook(hook.uuid);
    expect(checkOf(await runDoctor(quick(planFor(hook.uuid))), "hook").code).toBe("hook_missing");
  });

  it("redeliver says Bitbucket Cloud cannot resend", async () => {
    const hook = bbc.addHook({
      workspace: "acme",
      url,
      description: "x",
      events: BBC_EVENTS,
      secret: SECRET,
    });
    const report = await runRedeliver(quick(planFor(hook.uuid)));
    expect(report.actions).toEqual([expect.objectContaining({ outcome: "unsupported" })]);
  });
});
