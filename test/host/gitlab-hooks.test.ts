// Proves GitLabProjectHook's and GitLabGroupHook's lifecycle through the real dynamic-provider host.
// GitLabProjectHook and GitLabGroupHook through the real dynamic-provider host over gRPC, as
// `pulumi up` / `refresh` / `destroy` drive them.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { forwardingProvider } from "../../src/dynamic/forwarding-provider";
import { type GitLabFake, startGitLabFake } from "../../src/stand-ins/gitlab";
import { expectCleanOutputs, expectNoLeaks, hostFailure } from "../harness/leaks";
import {
  definedProps,
  dynamicUrn,
  type Props,
  type ProviderHost,
  serializeProvider,
  startHost,
} from "../harness/provider-host";
import { expectNewerStateRefused } from "./newer-state";

const TOKEN = "glpat-host-owner-7c41";
const ENV_TOKEN = "glpat-host-env-9e02";
const DEV_TOKEN = "glpat-host-dev-1a2b";
const SECRET = "gl-host-secret-55aa";
const RECEIVER = "https://sourcegraph.example.com/.api/webhooks/0f6b1f0e-1111-4a4a-8b8b-123456789abc";
const KNOWN = [TOKEN, ENV_TOKEN, DEV_TOKEN, SECRET];
const SECRET_OUTPUTS = new Set(["secret", "gitlabToken", "gitlab"]);

let fake: GitLabFake;
let host: ProviderHost;
const texts: Record<string, string> = {};

beforeAll(async () => {
  fake = await startGitLabFake({
    tokens: { [TOKEN]: "owner", [ENV_TOKEN]: "owner", [DEV_TOKEN]: "developer" },
    projects: ["acme/platform/api"],
    groups: ["acme"],
  });
  texts.project = await serializeProvider(forwardingProvider("gitlab", "projectHookProvider"));
  texts.group = await serializeProvider(forwardingProvider("gitlab", "groupHookProvider"));
  host = await startHost({ GITLAB_TOKEN: ENV_TOKEN });
});
afterAll(async () => {
  if (host) expectNoLeaks(host.stderr.join(""), KNOWN);
  await host?.close();
  await fake?.close();
});

const cases = [
  { scope: "project" as const, type: "ProjectHook", owner: "acme/platform/api" },
  { scope: "group" as const, type: "GroupHook", owner: "acme" },
];

for (const c of cases) {
  const urn = (name: string) => dynamicUrn("gitlab", c.type, name);
  const props = (over: Props = {}): Props => {
    const all: Props = {
      __provider: texts[c.scope],
      gitlab: { url: fake.url, token: TOKEN },
      [c.scope]: c.owner,
      url: RECEIVER,
      secret: SECRET,
      events: ["merge_requests_events", "pipeline_events", "push_events"],
      ...over,
    };
    return definedProps(all);
  };

  describe(`GitLab ${c.scope} hook through the dynamic-provider host`, () => {
    it("serializes to a stub without credentials", () => {
      expect(texts[c.scope]).toContain("pulumi-sourcegraph-webhooks/providers/");
      expectNoLeaks(texts[c.scope]!, KNOWN);
    });

    it("creates, diffs, reads, finds drift, updates, adopts, deletes, and deletes when gone", async () => {
      const u = urn(`${c.scope}-hook`);
      const checked = await host.check(u, {}, props());
      expect(checked.failures).toEqual([]);
      const { id, outs } = await host.create(u, checked.inputs);
      expect(id).toMatch(/^\d+$/);
      expect(outs).toMatchObject({
        hookId: Number(id),
        gitlabUrl: fake.url,
        [c.scope]: c.owner,
        url: RECEIVER,
        events: ["merge_requests_events", "pipeline_events", "push_events"],
        enableSslVerification: true,
        schemaVersion: 1,
      });
      expect(fake.hooks(c.scope, c.owner)).toHaveLength(1);
      expect(fake.hook(Number(id))!.token).toBe(SECRET);
      expectCleanOutputs(outs, KNOWN, SECRET_OUTPUTS);

      // The same program again is a no-op, whatever the event order.
      const reordered = await host.check(
        u,
        outs,
        props({ events: ["push_events", "merge_requests_events", "pipeline_events"] }),
      );
      expect(await host.diff(id, u, outs, reordered.inputs)).toMatchObject({ changes: false, replaces: [] });
      const read = await host.read(id, u, outs);
      expect(read?.id).toBe(id);
      expect(read?.props).toMatchObject({ url: RECEIVER, events: outs.events, enableSslVerification: true });

      // Drift made in the GitLab UI shows on refresh and is repaired by the next up.
      fake.setHook(Number(id), {
        url: "https://elsewhere.example.com/x",
        events: ["push_events"],
        enableSslVerification: false,
      });
      const drifted = await host.read(id, u, outs);
      expect(drifted?.props).toMatchObject({
        url: "https://elsewhere.example.com/x",
        events: ["push_events"],
        enableSslVerification: false,
      });
      const diff = await host.diff(id, u, drifted!.props, checked.inputs);
      expect(diff).toMatchObject({ changes: true, replaces: [] });
      const updated = await host.update(id, u, drifted!.props, checked.inputs);
      expect(updated).toMatchObject({ url: RECEIVER, enableSslVerification: true, hookId: Number(id) });
      const hook = fake.hook(Number(id))!;
      expect(hook.url).toBe(RECEIVER);
      expect(hook.events.pipeline_events).toBe(true);
      // The URL changed back: GitLab reset the token unless it was sent again.
      expect(hook.token).toBe(SECRET);
      expectCleanOutputs(updated, KNOWN, SECRET_OUTPUTS);

      // A change of project or group is a replacement, deleting first.
      const other = c.scope === "project" ? "acme/platform/web" : "acme/platform";
      const moved = await host.check(u, updated, props({ [c.scope]: other }));
      expect(await host.diff(id, u, updated, moved.inputs)).toEqual({
        changes: true,
        replaces: [c.scope],
        deleteBeforeReplace: true,
      });

      // Adopt: a hook made by hand to another receiver is taken over, not duplicated.
      const adoptUrl = `${RECEIVER}-adopt`;
      const manual = fake.addHook(c.scope, c.owner, { url: adoptUrl, events: ["issues_events"] });
      const u2 = urn(`${c.scope}-adopted`);
      const checked2 = await host.check(u2, {}, props({ url: adoptUrl }));
      const adopted = await host.create(u2, checked2.inputs);
      expect(adopted.id).toBe(String(manual.id));
      expect(fake.hooks(c.scope, c.owner)).toHaveLength(2);
      expect(fake.hook(manual.id)!.events.issues_events).toBe(false);
      expect(fake.hook(manual.id)!.token).toBe(SECRET);
      await host.delete(adopted.id, u2, adopted.outs);

      await host.delete(id, u, updated);
      expect(fake.hook(Number(id))).toBeUndefined();
      expect(fake.hooks(c.scope, c.owner)).toHaveLength(0);
      // Already gone: success, and refresh drops it.
      await host.delete(id, u, updated);
      expect(await host.read(id, u, updated)).toBeUndefined();
    });

    it("refuses state from a newer schema version on preview, refresh, update and destroy", async () => {
      const u = urn(`${c.scope}-newer`);
      const checked = await host.check(u, {}, props());
      const { id, outs } = await host.create(u, checked.inputs);
      await expectNewerStateRefused(
        host,
        { urn: u, id, outs, inputs: checked.inputs },
        `GitLab hook ${id}`,
        KNOWN,
      );
      expect(fake.hook(Number(id))).toMatchObject({ url: RECEIVER, token: SECRET });
      await host.delete(id, u, outs);
    });

    it("uses GITLAB_TOKEN from the host's environment when no token is declared, and stores none", async () => {
      const u = urn(`${c.scope}-env`);
      const checked = await host.check(u, {}, props({ gitlab: { url: fake.url } }));
      const { id, outs } = await host.create(u, checked.inputs);
      expect(outs.gitlabToken).toBeUndefined();
      expect(JSON.stringify(outs)).not.toContain(ENV_TOKEN);
      expectCleanOutputs(outs, KNOWN, SECRET_OUTPUTS);
      await host.delete(id, u, outs);
      expect(fake.hook(Number(id))).toBeUndefined();
    });

    it("reports check failures and remote errors with the fix", async () => {
      const u = urn(`${c.scope}-bad`);
      const bad = await host.check(u, {}, props({ events: ["nope_events"] }));
      expect(bad.failures[0]).toMatchObject({ property: "events" });
      expect(bad.failures[0]!.reason).toMatch(/^unknown gitlab event "nope_events"; valid: /);

      const checked = await host.check(u, {}, props({ gitlab: { url: fake.url, token: DEV_TOKEN } }));
      const details = await hostFailure(host.create(u, checked.inputs), KNOWN);
      expect(details).toContain(`GitLab at ${fake.url} answered 403 on ${c.scope} "${c.owner}"`);
      expect(details).toContain(c.scope === "project" ? "Maintainer" : "Owner");
    });
  });
}

describe("group hooks on a tier without them, through the host", () => {
  it("says that group webhooks need Premium", async () => {
    fake.setGroupHooksAvailable(false);
    try {
      const u = dynamicUrn("gitlab", "GroupHook", "tier");
      const checked = await host.check(
        u,
        {},
        {
          __provider: texts.group,
          gitlab: { url: fake.url, token: TOKEN },
          group: "acme",
          url: RECEIVER,
        },
      );
      const details = await hostFailure(host.create(u, checked.inputs), KNOWN);
      expect(details).toContain(
        `group webhooks are not available on GitLab at ${fake.url}: they need GitLab Premium or Ultimate`,
      );
    } finally {
      fake.setGroupHooksAvailable(true);
    }
  });
});

describe("the host's log", () => {
  it("holds no token or secret after every call above", () => {
    expect(host.stderr.length).toBeGreaterThanOrEqual(0);
    expectNoLeaks(host.stderr.join(""), KNOWN);
  });
});
