// Proves GitLab's hook resources register their type tokens, inputs, secrets and outputs as Pulumi expects.
// GitLabProjectHook and GitLabGroupHook under pulumi.runtime.setMocks: type tokens, inputs as the
// provider sees them, which values are secret, and the outputs a program reads.
import * as pulumi from "@pulumi/pulumi";
import { beforeAll, describe, expect, it } from "vitest";
import { check } from "../../providers/gitlab";
import { GitLabGroupHook, GitLabProjectHook } from "../../src/resources/gitlab-hooks";
import {
  isSecretValue,
  mockResources,
  type Registered,
  resolved,
  secretValue,
  unsecret,
} from "../harness/mock-engine";

const TOKEN = "glpat-mock-token-3d3d";
const SECRET = "gl-mock-secret-4e4e";
const RECEIVER = "https://sourcegraph.example.com/.api/webhooks/7";

let seen: Registered[];

beforeAll(async () => {
  seen = await mockResources(
    (r) => {
      const scope = r.type.endsWith(":GroupHook") ? "group" : "project";
      const { inputs, failures } = check(unsecret(r.inputs), scope);
      // What create returns (providers/gitlab/provider.ts outputsOf), from the checked inputs.
      const token = (inputs.gitlab as { token?: string } | undefined)?.token;
      const state: Record<string, unknown> = {
        schemaVersion: 1,
        hookId: 11,
        gitlabUrl: (inputs.gitlab as { url?: string } | undefined)?.url,
        [scope]: inputs[scope],
        [`${scope}Id`]: 42,
        url: inputs.url,
        events: inputs.events,
        enableSslVerification: inputs.enableSslVerification,
      };
      // The engine keeps an output secret when its input was (and for additionalSecretOutputs).
      if (token) state.gitlabToken = secretValue(token);
      if (inputs.secret) state.secret = r.inputs.secret;
      return { id: "11", state, failures };
    },
    "sgw",
    "dev",
  );
});

describe("GitLab hooks under mocks", () => {
  it("a project hook: type token, secret connection and secret, clean provider and outputs", async () => {
    const hook = new GitLabProjectHook("proj-hook", {
      gitlab: { url: "https://gitlab.example.com/", token: TOKEN },
      project: "acme/platform/api",
      url: RECEIVER,
      secret: SECRET,
    });
    expect(await resolved(hook.hookId)).toBe(11);
    const r = seen.find((s) => s.name === "proj-hook")!;
    expect(r.type).toBe("pulumi-nodejs:dynamic/gitlab:ProjectHook");
    expect(r.failures).toEqual([]);
    // Given as plain strings, still secret on the way to the provider.
    expect(isSecretValue(r.inputs.gitlab)).toBe(true);
    expect(isSecretValue(r.inputs.secret)).toBe(true);
    expect(unsecret(r.inputs.gitlab)).toEqual({ url: "https://gitlab.example.com/", token: TOKEN });
    const text = String(r.inputs.__provider);
    expect(text).toContain("pulumi-sourcegraph-webhooks/providers/");
    expect(text).toContain(`"gitlab"`);
    expect(text).toContain("projectHookProvider");
    for (const s of [TOKEN, SECRET]) expect(text).not.toContain(s);

    expect(await pulumi.isSecret(hook.secret)).toBe(true);
    expect(await resolved(hook.secret)).toBe(SECRET);
    const plain: Array<[string, pulumi.Output<unknown>]> = [
      ["hookId", hook.hookId],
      ["gitlabUrl", hook.gitlabUrl],
      ["project", hook.project],
      ["projectId", hook.projectId],
      ["url", hook.url],
      ["events", hook.events],
      ["enableSslVerification", hook.enableSslVerification],
      ["schemaVersion", hook.schemaVersion],
    ];
    for (const [name, o] of plain) {
      expect(await pulumi.isSecret(o), name).toBe(false);
      const v = JSON.stringify(await resolved(o));
      for (const s of [TOKEN, SECRET]) expect(v).not.toContain(s);
    }
    expect(await resolved(hook.gitlabUrl)).toBe("https://gitlab.example.com");
    expect(await resolved(hook.events)).toEqual(["merge_requests_events", "pipeline_events", "push_events"]);
    expect(await resolved(hook.enableSslVerification)).toBe(true);
    expect(await resolved(hook.schemaVersion)).toBe(1);
  });

  it("a group hook without a connection: defaults, no secret, group type token", async () => {
    const hook = new GitLabGroupHook("group-hook", {
      group: "acme",
      url: RECEIVER,
      events: ["subgroup_events", "merge_requests_events"],
      enableSslVerification: false,
    });
    expect(await resolved(hook.group)).toBe("acme");
    const r = seen.find((s) => s.name === "group-hook")!;
    expect(r.type).toBe("pulumi-nodejs:dynamic/gitlab:GroupHook");
    expect(r.failures).toEqual([]);
    expect(String(r.inputs.__provider)).toContain("groupHookProvider");
    expect(r.inputs.secret).toBeUndefined();
    expect(await resolved(hook.gitlabUrl)).toBe("https://gitlab.com");
    expect(await resolved(hook.events)).toEqual(["merge_requests_events", "subgroup_events"]);
    expect(await resolved(hook.enableSslVerification)).toBe(false);
    expect(await resolved(hook.groupId)).toBe(42);
  });

  it("inputs reach check in the shape it validates: bad ones fail with the fix", async () => {
    const hook = new GitLabProjectHook("bad-hook", {
      gitlab: { url: "https://gitlab.example.com/api/v4", token: TOKEN },
      project: "lonely",
      url: RECEIVER,
      events: ["subgroup_events"],
    });
    await resolved(hook.urn);
    const r = seen.find((s) => s.name === "bad-hook")!;
    expect(r.failures.map((f) => f.property).sort()).toEqual(["events", "gitlab", "project"]);
    expect(r.failures.find((f) => f.property === "events")!.reason).toContain(
      '"subgroup_events" is not a project hook event',
    );
    for (const f of r.failures) expect(f.reason).not.toContain(TOKEN);
  });
});
