// Proves Sourcegraph's answer to a forwarded delivery decides its fate: done, ignored, retried or dead.
import { describe, expect, it } from "vitest";
import { classify } from "../../src/relay";

describe("classify: Sourcegraph's answer decides a delivery's fate", () => {
  it.each([
    ["GITHUB", 200, "", "forwarded"],
    ["GITLAB", 200, "", "forwarded"],
    ["GITLAB", 204, "", "ignored"],
    ["GITHUB", 400, "unknown X-Github-Event in message: sub_issues\n", "ignored"],
    ["BITBUCKETSERVER", 400, 'parsing webhook: unknown webhook event type: "pr:event"\n', "ignored"],
    ["BITBUCKETCLOUD", 404, "unknown webhook event key: pullrequest:created\n", "ignored"],
    ["BITBUCKETCLOUD", 400, "Could not validate payload with secret.\n", "dead"],
    ["GITHUB", 404, "Could not find webhook with provided UUID.\n", "dead"],
    ["GITHUB", 501, 'webhooks not implemented for code host kind "X"\n', "retry"],
    ["GITHUB", 500, "boom", "retry"],
    ["GITHUB", 503, "", "retry"],
    ["GITHUB", 429, "", "retry"],
    ["GITHUB", 413, "", "dead"],
    ["BITBUCKETSERVER", 404, "unknown webhook event key: x", "dead"],
  ] as const)("%s %i %j -> %s", (kind, status, body, want) => {
    expect(classify(kind, status, body).kind).toBe(want);
  });
});
