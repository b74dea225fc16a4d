// Proves the webhook-hygiene policy pack (examples/policy-pack/) flags each rule on each kind of hook it knows, names the input to fix, and passes everything else.
import type { ResourceValidationArgs } from "@pulumi/policy";
import { describe, expect, it } from "vitest";
import { HOOKS, policies } from "../../examples/policy-pack/policies";

/** The violations each policy reports for one resource, by policy name (only policies that report). */
async function violations(type: string, props: Record<string, unknown>): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = {};
  const args = {
    type,
    props,
    urn: `urn:pulumi:prod::p::${type}::hook`,
    name: "hook",
  } as ResourceValidationArgs;
  for (const policy of policies) {
    for (const validate of [policy.validateResource ?? []].flat()) {
      await validate(args, (message) => {
        out[policy.name] = [...(out[policy.name] ?? []), message];
      });
    }
  }
  return out;
}

const GITHUB = [
  "github:index/organizationWebhook:OrganizationWebhook",
  "github:index/repositoryWebhook:RepositoryWebhook",
];
const RECEIVER_URL = "https://sourcegraph.example.com/.api/webhooks/4573f074-ca53-4693-8b8e-e10a8ccbff8e";
const goodGitHub = {
  configuration: { url: RECEIVER_URL, contentType: "json", insecureSsl: false, secret: "s3cret-value" },
};

/** A sound hook of each other kind, with the names of its URL, secret and TLS inputs. */
const PLAIN: Array<{ type: string; secret: string; tls?: string }> = [
  { type: "pulumi-nodejs:dynamic/gitlab:ProjectHook", secret: "secret", tls: "enableSslVerification" },
  { type: "pulumi-nodejs:dynamic/gitlab:GroupHook", secret: "secret", tls: "enableSslVerification" },
  { type: "gitlab:index/projectHook:ProjectHook", secret: "token", tls: "enableSslVerification" },
  { type: "gitlab:index/groupHook:GroupHook", secret: "token", tls: "enableSslVerification" },
  { type: "pulumi-nodejs:dynamic/bitbucketserver:Webhook", secret: "secret" },
  { type: "pulumi-nodejs:dynamic/bitbucketcloud:Webhook", secret: "secret" },
];

describe("the webhook-hygiene policy pack", () => {
  it("knows the GitHub and GitLab providers' hooks and every hook of this package", () => {
    expect(Object.keys(HOOKS).sort()).toEqual([...GITHUB, ...PLAIN.map((p) => p.type)].sort());
    expect(policies.map((p) => p.name)).toEqual([
      "webhook-delivers-over-https",
      "webhook-verifies-tls",
      "webhook-has-secret",
      "github-webhook-sends-json",
    ]);
    expect(policies.every((p) => p.enforcementLevel === "mandatory")).toBe(true);
  });

  it("GitHub hooks: each rule, with the input that fixes it", async () => {
    for (const type of GITHUB) {
      expect(await violations(type, goodGitHub)).toEqual({});
      const bad = await violations(type, {
        configuration: { url: "http://sourcegraph.example.com/.api/webhooks/x", insecureSsl: true },
      });
      expect(Object.keys(bad).sort()).toEqual([
        "github-webhook-sends-json",
        "webhook-delivers-over-https",
        "webhook-has-secret",
        "webhook-verifies-tls",
      ]);
      expect(bad["webhook-delivers-over-https"]![0]).toMatch(
        /plain HTTP: use the receiver's https:\/\/ URL \(configuration\.url\)/,
      );
      expect(bad["webhook-verifies-tls"]![0]).toMatch(/\(configuration\.insecureSsl\)/);
      expect(bad["webhook-has-secret"]![0]).toMatch(/has no secret \(configuration\.secret\)/);
      expect(bad["github-webhook-sends-json"]![0]).toMatch(
        /sends form data \(GitHub's default\).*configuration\.contentType to "json"/,
      );
      // GitHub's API spelling of the switch, and a content type set to form.
      expect(
        Object.keys(
          await violations(type, {
            configuration: { ...goodGitHub.configuration, insecureSsl: "1", contentType: "form" },
          }),
        ).sort(),
      ).toEqual(["github-webhook-sends-json", "webhook-verifies-tls"]);
    }
  });

  it("GitLab and Bitbucket hooks: each rule that applies, with the input that fixes it", async () => {
    for (const { type, secret, tls } of PLAIN) {
      const good = { url: RECEIVER_URL, [secret]: "s3cret-value", ...(tls ? { [tls]: true } : {}) };
      expect(await violations(type, good), type).toEqual({});
      // Verification left unset is on.
      expect(await violations(type, { url: RECEIVER_URL, [secret]: "s3cret-value" }), type).toEqual({});
      const bad = await violations(type, {
        url: "http://relay.example.com/.api/webhooks/x",
        [secret]: "",
        ...(tls ? { [tls]: false } : {}),
      });
      expect(Object.keys(bad).sort(), type).toEqual(
        tls
          ? ["webhook-delivers-over-https", "webhook-has-secret", "webhook-verifies-tls"]
          : ["webhook-delivers-over-https", "webhook-has-secret"],
      );
      expect(bad["webhook-has-secret"]![0], type).toContain(`has no secret (${secret})`);
      if (tls) expect(bad["webhook-verifies-tls"]![0], type).toContain(`(${tls})`);
    }
  });

  it("a receiver without a secret, and nothing else: a generated secret passes, other resources pass", async () => {
    const receiver = "pulumi-nodejs:dynamic/sourcegraph:Receiver";
    expect(await violations(receiver, { codeHostKind: "GITHUB", secret: false })).toEqual({
      "webhook-has-secret": [expect.stringMatching(/secret: false.*omit secret to have one generated/)],
    });
    expect(await violations(receiver, { codeHostKind: "GITHUB" })).toEqual({});
    expect(await violations("aws:s3/bucket:Bucket", { url: "http://x", secret: "" })).toEqual({});
  });
});
