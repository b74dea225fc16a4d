// Proves the relay forwards GitHub's whole catalog and every event Sourcegraph parses; and the /ingest entry.
import { describe, expect, it } from "vitest";
import { GITHUB_EVENTS } from "../../providers/events";
import { FORWARDED_EVENTS } from "../../src/ingest";

describe("event catalog", () => {
  it("GITHUB_EVENTS are the base names of @octokit/webhooks' emitterEventNames", async () => {
    const { emitterEventNames } = await import("@octokit/webhooks");
    const base = [...new Set(emitterEventNames.map((n: string) => n.split(".")[0]!))].sort();
    expect([...GITHUB_EVENTS].sort()).toEqual(base);
  });

  it("the relay forwards GitHub's catalog and every event Sourcegraph parses", () => {
    expect([...FORWARDED_EVENTS.GITHUB].sort()).toEqual([...GITHUB_EVENTS].sort());
    expect([...FORWARDED_EVENTS.GITLAB].sort()).toEqual(["merge_request", "pipeline", "push"]);
    for (const e of ["ping", "diagnostics:ping", "repo:refs_changed", "pr:activity:status"])
      expect(FORWARDED_EVENTS.BITBUCKETSERVER.has(e)).toBe(true);
    expect(FORWARDED_EVENTS.BITBUCKETSERVER.has("pr:opened")).toBe(false);
    for (const e of ["pullrequest:created", "pullrequest:comment_reopened", "repo:commit_status_updated"])
      expect(FORWARDED_EVENTS.BITBUCKETCLOUD.has(e)).toBe(true);
  });
});

describe("package entry", () => {
  it("pulumi-sourcegraph-webhooks/ingest resolves to the built verifyDelivery", async () => {
    const { createRequire } = await import("node:module");
    const req = createRequire(__filename);
    const entry = req("pulumi-sourcegraph-webhooks/ingest");
    expect(typeof entry.verifyDelivery).toBe("function");
    const v = await entry.verifyDelivery({
      kind: "GITLAB",
      headers: {},
      body: Buffer.from('{"object_kind":"push"}'),
      secrets: [],
    });
    expect(v).toEqual({ ok: true, event: "push" });
  });
});
