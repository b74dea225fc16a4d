// Proves BitbucketServerWebhook registers its type token, inputs, secrets and outputs as Pulumi expects.
// BitbucketServerWebhook under pulumi.runtime.setMocks. The mock engine below does what the real
// one does with a dynamic resource: runs the provider's check (failures become the error), and
// marks the outputs named in additionalSecretOutputs as secret.
import * as pulumi from "@pulumi/pulumi";
import { beforeAll, describe, expect, it } from "vitest";
import { check } from "../../providers/bitbucket-server";
import { BitbucketServerWebhook } from "../../src";
import {
  isSecretValue,
  mockResources,
  type Registered,
  resolved,
  secretValue,
  settle,
  unsecret,
} from "../harness/mock-engine";

const TYPE = "pulumi-nodejs:dynamic/bitbucketserver:Webhook";
const TOKEN = "mock-bbs-token-123";
const PASSWORD = "mock-bbs-password-456";
const SECRET = "mock-webhook-secret-789";
const RECEIVER = "https://sourcegraph.example.com/.api/webhooks/2d9e6c53-4a0e-4c1f-9e0e-1f1f6d0d8f00";

let registered: Registered[];

beforeAll(async () => {
  registered = await mockResources((r) => {
    if (r.type !== TYPE) return { id: `${r.name}-id`, state: r.inputs };
    const { __provider, ...plain } = unsecret(r.inputs);
    const { inputs, failures } = check(plain);
    if (failures.length > 0) {
      throw new Error(failures.map((f) => `${f.property}: ${f.reason}`).join("; "));
    }
    const outs: Record<string, unknown> = {
      ...inputs,
      webhookId: 42,
      remoteScope: inputs.scope,
      schemaVersion: 1,
    };
    for (const key of r.secretOutputs) {
      if (outs[key] !== undefined) outs[key] = secretValue(outs[key]);
    }
    return { id: "42", state: outs };
  });
});

describe("BitbucketServerWebhook under mocks", () => {
  it("registers the type token with the default name and scope, and secrets as secrets", async () => {
    const hook = new BitbucketServerWebhook("main", {
      bitbucketServer: { url: "https://bitbucket.example.com", token: TOKEN },
      url: RECEIVER,
      secret: SECRET,
    });
    await settle(hook);
    const reg = registered.find((r) => r.name === "main")!;
    expect(reg.type).toBe(TYPE);
    expect(reg.inputs.webhookName).toBe("sgw-test-main");
    expect(reg.inputs.scope).toBe("global");
    expect(isSecretValue(reg.inputs.secret)).toBe(true);
    expect(isSecretValue(reg.inputs.bitbucketServer)).toBe(true);
    expect(unsecret(reg.inputs.bitbucketServer)).toEqual({
      url: "https://bitbucket.example.com",
      token: TOKEN,
    });
    expect(reg.secretOutputs).toEqual(expect.arrayContaining(["secret", "bitbucketServer"]));

    expect(typeof reg.inputs.__provider).toBe("string");
    expect(reg.inputs.__provider).toContain("pulumi-sourcegraph-webhooks/providers/");
    expect(reg.inputs.__provider).toContain("bitbucket-server");
    for (const s of [TOKEN, SECRET, PASSWORD]) expect(reg.inputs.__provider).not.toContain(s);
  });

  it("gives secret outputs as secrets and the rest in the clear", async () => {
    const hook = new BitbucketServerWebhook("outs", {
      bitbucketServer: { url: "https://bitbucket.example.com/", username: "admin", password: PASSWORD },
      webhookName: "explicit-name",
      scope: "repository:PROJ/repo-one",
      url: RECEIVER,
      secret: SECRET,
      events: ["repo:refs_changed", "pr:activity:merge"],
    });
    expect(await pulumi.isSecret(hook.secret)).toBe(true);
    expect(await resolved(hook.secret)).toBe(SECRET);
    const plain = {
      webhookId: 42,
      instanceUrl: "https://bitbucket.example.com",
      webhookName: "explicit-name",
      scope: "repository:PROJ/repo-one",
      url: RECEIVER,
      events: ["pr:activity:merge", "repo:refs_changed"],
      schemaVersion: 1,
    };
    for (const [key, value] of Object.entries(plain)) {
      const out = (hook as any)[key] as pulumi.Output<unknown>;
      expect(await pulumi.isSecret(out), key).toBe(false);
      const v = await resolved(out);
      expect(v, key).toEqual(value);
      for (const s of [PASSWORD, SECRET]) expect(JSON.stringify(v)).not.toContain(s);
    }
    const reg = registered.find((r) => r.name === "outs")!;
    expect(unsecret(reg.inputs.bitbucketServer).password).toBe(PASSWORD);
    expect(reg.inputs.__provider).not.toContain(PASSWORD);
  });

  it("leaves credentials out entirely when they come from the environment", async () => {
    const hook = new BitbucketServerWebhook("envcreds", { url: RECEIVER, secret: SECRET, webhookName: "e" });
    process.env.BITBUCKET_SERVER_URL = "https://bbs.example.com";
    try {
      await settle(hook);
    } finally {
      delete process.env.BITBUCKET_SERVER_URL;
    }
    const reg = registered.find((r) => r.name === "envcreds")!;
    expect(reg.inputs.bitbucketServer).toBeUndefined();
  });

  it("fails with the check's message for an invalid scope or event", async () => {
    process.env.BITBUCKET_SERVER_URL = "https://bbs.example.com";
    try {
      const hook = new BitbucketServerWebhook("bad", {
        url: RECEIVER,
        secret: SECRET,
        scope: "repository:PROJ",
        events: ["pr:opened"],
      });
      // The SDK rejects every output of a resource the engine refused; handle them all so none
      // is left unhandled, and read the error from the URN.
      for (const value of [hook.urn, hook.id, ...Object.values(hook)]) {
        if (pulumi.Output.isInstance(value)) {
          const o = value as any;
          for (const p of [o.promise(), o.isKnown, o.isSecret, o.allResources?.()])
            p?.catch?.(() => undefined);
        }
      }
      const err = await (hook.urn as any).promise().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(String(err)).toContain(
        'scope: scope "repository:PROJ" must be "repository:<PROJECT KEY>/<repository slug>"',
      );
      expect(String(err)).toContain('events: unknown bitbucketServer event "pr:opened"');
    } finally {
      delete process.env.BITBUCKET_SERVER_URL;
    }
  });
});
