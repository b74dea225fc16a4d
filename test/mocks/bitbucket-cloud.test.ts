// Proves BitbucketCloudWebhook registers its type token, inputs, secrets and outputs as Pulumi expects.
// BitbucketCloudWebhook under pulumi.runtime.setMocks: type token, inputs as the provider sees
// them, which values are secret, and the outputs a program reads.
import * as pulumi from "@pulumi/pulumi";
import { beforeAll, describe, expect, it } from "vitest";
import { check } from "../../providers/bitbucket-cloud";
import { BitbucketCloudWebhook } from "../../src/resources/bitbucket-cloud-webhook";
import { isSecretValue, mockResources, type Registered, resolved, unsecret } from "../harness/mock-engine";

const TOKEN = "bbc-mock-token-4c4c";
const API_TOKEN = "bbc-mock-api-token-1a1a";
const SECRET = "bbc-mock-secret-2b2b";

let seen: Registered[];

beforeAll(async () => {
  seen = await mockResources(
    (r) => {
      const { inputs, failures } = check(unsecret(r.inputs));
      // What create returns (see providers/bitbucket-cloud/outputs.ts), built from the checked inputs.
      const state = {
        ...r.inputs,
        schemaVersion: 1,
        uuid: `{${r.name}-uuid}`,
        apiUrl: inputs.apiUrl,
        events: inputs.events,
        description: inputs.description,
        active: true,
        secretSet: inputs.secret !== undefined,
      };
      return { id: state.uuid, state, failures };
    },
    "sgw",
    "dev",
  );
});

describe("BitbucketCloudWebhook under mocks", () => {
  it("registers the documented type token with secret credentials and secret", async () => {
    const hook = new BitbucketCloudWebhook("repo-hook", {
      bitbucketCloud: { token: TOKEN },
      workspace: "acme",
      repository: "widgets",
      url: "https://sourcegraph.example.com/.api/webhooks/1",
      secret: SECRET,
    });
    expect(await resolved(hook.uuid)).toBe("{repo-hook-uuid}");
    const r = seen.find((s) => s.name === "repo-hook")!;
    expect(r.type).toBe("pulumi-nodejs:dynamic/bitbucketcloud:Webhook");
    expect(r.failures).toEqual([]);
    // Given as plain strings, still secret.
    expect(isSecretValue(r.inputs.secret)).toBe(true);
    expect(isSecretValue(r.inputs.bitbucketCloud)).toBe(true);
    expect(unsecret(r.inputs.bitbucketCloud)).toEqual({ token: TOKEN });
    // The serialized provider is a stub that holds nothing of the resource.
    const text = String(r.inputs.__provider);
    expect(text).toContain("pulumi-sourcegraph-webhooks/providers/");
    for (const s of [TOKEN, SECRET]) expect(text).not.toContain(s);
    expect(r.inputs.description).toBe("Sourcegraph (sgw-dev-repo-hook)");

    expect(await pulumi.isSecret(hook.secret)).toBe(true);
    expect(await resolved(hook.secret)).toBe(SECRET);
    const plain: pulumi.Output<unknown>[] = [
      hook.uuid,
      hook.apiUrl,
      hook.workspace,
      hook.repository,
      hook.url,
      hook.events,
      hook.description,
    ];
    for (const o of plain) {
      expect(await pulumi.isSecret(o)).toBe(false);
      const v = JSON.stringify(await resolved(o));
      for (const s of [TOKEN, SECRET]) expect(v).not.toContain(s);
    }
    expect(await resolved(hook.apiUrl)).toBe("https://api.bitbucket.org/2.0");
    expect(await resolved(hook.workspace)).toBe("acme");
    expect(await resolved(hook.repository)).toBe("widgets");
    expect(await resolved(hook.schemaVersion)).toBe(1);
    expect(await resolved(hook.secretSet)).toBe(true);
  });

  it("a workspace hook with an e-mail and API token; explicit description and events", async () => {
    const hook = new BitbucketCloudWebhook("ws-hook", {
      bitbucketCloud: { apiUrl: "http://127.0.0.1:1/2.0/", email: "ops@example.com", apiToken: API_TOKEN },
      workspace: "acme",
      url: "https://sourcegraph.example.com/.api/webhooks/2",
      events: ["repo:push"],
      description: "mine",
    });
    expect(await resolved(hook.events)).toEqual(["repo:push"]);
    expect(await resolved(hook.repository)).toBeUndefined();
    expect(await resolved(hook.apiUrl)).toBe("http://127.0.0.1:1/2.0");
    expect(await resolved(hook.description)).toBe("mine");
    const r = seen.find((s) => s.name === "ws-hook")!;
    expect(r.failures).toEqual([]);
    expect(isSecretValue(r.inputs.bitbucketCloud)).toBe(true);
    expect(String(r.inputs.__provider)).not.toContain(API_TOKEN);
    expect(r.inputs.secret).toBeUndefined();
  });

  it("inputs reach check in the shape it validates: bad ones fail with the fix", async () => {
    const hook = new BitbucketCloudWebhook("bad-hook", {
      bitbucketCloud: { token: TOKEN, email: "ops@example.com" },
      workspace: "acme",
      repository: "acme/widgets",
      url: "https://sourcegraph.example.com/.api/webhooks/3",
      events: ["repo:push", "pullrequest:opened"],
    });
    await resolved(hook.urn);
    const r = seen.find((s) => s.name === "bad-hook")!;
    expect(r.failures.map((f) => f.property).sort()).toEqual([
      "bitbucketCloud.token",
      "events",
      "repository",
    ]);
    expect(r.failures.find((f) => f.property === "events")!.reason).toContain('"pullrequest:opened"');
    for (const f of r.failures) expect(f.reason).not.toContain(TOKEN);
  });
});
