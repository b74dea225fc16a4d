// Proves the Bitbucket Server provider's pure parts: check, diff, state upgrade and credential choice.
import { afterEach, describe, expect, it } from "vitest";
import {
  check,
  credentialFromConnection,
  credentialFromEnv,
  diff,
  outputsFromRemote,
  scopeProblem,
  upgradeOutputs,
} from "../../providers/bitbucket-server";
import { defaultEvents, KNOWN_EVENTS } from "../../providers/events";
import { UNKNOWN } from "../../providers/shared";

const ENV_KEYS = [
  "BITBUCKET_SERVER_URL",
  "BITBUCKET_SERVER_TOKEN",
  "BITBUCKET_SERVER_USERNAME",
  "BITBUCKET_SERVER_PASSWORD",
];
afterEach(() => {
  for (const k of ENV_KEYS) delete process.env[k];
});

const base = {
  bitbucketServer: { url: "https://Bitbucket.Example.com/bitbucket/", token: "t0ken-value" },
  webhookName: "proj-dev-hook",
  url: "https://sourcegraph.example.com/.api/webhooks/uuid",
  secret: "s3cret-value",
};

const reasons = (news: Record<string, unknown>) =>
  check(news).failures.map((f) => `${f.property}: ${f.reason}`);

describe("check", () => {
  it("normalizes: instance URL, default scope and events (sorted)", () => {
    const { inputs, failures } = check(base);
    expect(failures).toEqual([]);
    expect(inputs).toEqual({
      bitbucketServer: base.bitbucketServer,
      instanceUrl: "https://bitbucket.example.com/bitbucket",
      webhookName: "proj-dev-hook",
      scope: "global",
      url: base.url,
      secret: base.secret,
      events: [...defaultEvents("bitbucketServer")].sort(),
    });
  });

  it("takes the URL from BITBUCKET_SERVER_URL at call time, and never copies env credentials", () => {
    process.env.BITBUCKET_SERVER_URL = "http://bbs.internal:7990";
    process.env.BITBUCKET_SERVER_TOKEN = "env-token";
    const { inputs, failures } = check({ ...base, bitbucketServer: undefined });
    expect(failures).toEqual([]);
    expect(inputs.instanceUrl).toBe("http://bbs.internal:7990");
    expect(inputs.bitbucketServer).toBeUndefined();
    expect(JSON.stringify(inputs)).not.toContain("env-token");
  });

  it("fails without a URL, naming both settings", () => {
    expect(reasons({ ...base, bitbucketServer: { token: "x" } })).toEqual([
      "bitbucketServer: the Bitbucket Server URL is missing: set bitbucketServer.url or BITBUCKET_SERVER_URL",
    ]);
    expect(reasons({ ...base, bitbucketServer: { url: "ftp://x" } })).toEqual([
      'bitbucketServer: bitbucketServer.url must be an http(s) URL; got "ftp://x"',
    ]);
    process.env.BITBUCKET_SERVER_URL = "not a url";
    expect(reasons({ ...base, bitbucketServer: undefined })[0]).toContain(
      "BITBUCKET_SERVER_URL must be the Bitbucket Server's URL",
    );
  });

  it("rejects mixed or half credentials and unknown connection keys", () => {
    const url = base.bitbucketServer.url;
    expect(reasons({ ...base, bitbucketServer: { url, token: "t", username: "u", password: "p" } })).toEqual([
      "bitbucketServer: give bitbucketServer.token or bitbucketServer.username + bitbucketServer.password, not both",
    ]);
    expect(reasons({ ...base, bitbucketServer: { url, username: "u" } })).toEqual([
      "bitbucketServer: bitbucketServer.username and bitbucketServer.password go together (or give bitbucketServer.token)",
    ]);
    expect(reasons({ ...base, bitbucketServer: { url, apiToken: "x" } })).toEqual([
      "bitbucketServer: bitbucketServer.apiToken is not an option; valid: url, token, username, password",
    ]);
  });

  it("validates the three scope forms", () => {
    for (const ok of ["global", "project:Project One", "repository:PROJ/repo-one", "repository:~user/r"]) {
      expect(scopeProblem(ok)).toBeUndefined();
    }
    expect(scopeProblem("foo")).toBe(
      'scope must be "global", "project:<project name>" or "repository:<PROJECT KEY>/<repository slug>"; got "foo"',
    );
    expect(scopeProblem("repository:PROJ")).toBe(
      'scope "repository:PROJ" must be "repository:<PROJECT KEY>/<repository slug>" (one "/", no spaces), such as "repository:PROJ/my-repo"',
    );
    expect(scopeProblem("repository:PROJ/a/b")).toContain('one "/"');
    expect(scopeProblem("project:")).toContain('got "project:"');
    expect(scopeProblem("project:a:b")).toContain('got "project:a:b"');
    expect(scopeProblem("project: padded")).toContain("must not start or end with spaces");
    expect(scopeProblem("Global")).toContain('got "Global"');
    expect(reasons({ ...base, scope: "org:x" })).toEqual([`scope: ${scopeProblem("org:x")}`]);
  });

  it("rejects unknown events listing the valid names, and empty lists", () => {
    const [reason] = reasons({ ...base, events: ["repo:refs_changed", "pr:opened"] });
    expect(reason).toMatch(/^events: unknown bitbucketServer event "pr:opened"; valid: .*repo:refs_changed/);
    expect(reasons({ ...base, events: [] })).toEqual([
      `events: events must be a non-empty list of bitbucketServer event names; valid: ${KNOWN_EVENTS.bitbucketServer.join(", ")}`,
    ]);
    expect(check({ ...base, events: ["repo", "pr", "repo"] }).inputs.events).toEqual(["pr", "repo"]);
  });

  it("requires a secret, a receiver URL and a webhook name", () => {
    expect(reasons({ ...base, secret: undefined })).toEqual([
      "secret: secret is required: the plugin signs every delivery with it and sends nothing without one; give the Sourcegraph receiver's secret",
    ]);
    expect(reasons({ ...base, url: "sourcegraph.example.com" })[0]).toMatch(
      /^url: url must be an http\(s\) URL/,
    );
    expect(reasons({ ...base, webhookName: "" })[0]).toMatch(
      /^webhookName: webhookName must be a non-empty string/,
    );
    expect(reasons({ ...base, webhookName: "x".repeat(256) })).toEqual([
      "webhookName: webhookName must be at most 255 characters; it has 256",
    ]);
  });

  it("lets unknown values (preview) through", () => {
    const { inputs, failures } = check({
      bitbucketServer: UNKNOWN,
      webhookName: UNKNOWN,
      url: UNKNOWN,
      secret: UNKNOWN,
      scope: UNKNOWN,
      events: [UNKNOWN],
    });
    expect(failures).toEqual([]);
    expect(inputs).toMatchObject({ instanceUrl: UNKNOWN, url: UNKNOWN, secret: UNKNOWN, events: [UNKNOWN] });
  });
});

describe("diff", () => {
  const inputs = check(base).inputs;
  const olds = { ...inputs, webhookId: 7, remoteScope: "global", schemaVersion: 1 };

  it("is no change for the same inputs, and events compare as sets", () => {
    expect(diff("7", olds, inputs)).toEqual({ changes: false, replaces: [], deleteBeforeReplace: false });
    const events = [...(inputs.events as string[])].reverse();
    expect(diff("7", olds, { ...inputs, events: [...events, events[0]] }).changes).toBe(false);
  });

  it("replaces on another instance or another webhookName", () => {
    expect(diff("7", olds, { ...inputs, instanceUrl: "https://other.example.com" }).replaces).toEqual([
      "instanceUrl",
    ]);
    expect(diff("7", olds, { ...inputs, webhookName: "renamed" }).replaces).toEqual(["webhookName"]);
  });

  it("changes in place for scope, url, secret, events and credentials", () => {
    for (const change of [
      { scope: "project:Project One" },
      { url: "https://sg.example.com/.api/webhooks/other" },
      { secret: "rotated" },
      { events: ["repo:refs_changed"] },
      { bitbucketServer: { url: base.bitbucketServer.url, token: "new-token" } },
      { bitbucketServer: undefined },
    ]) {
      expect(diff("7", olds, { ...inputs, ...change }), JSON.stringify(change)).toEqual({
        changes: true,
        replaces: [],
        deleteBeforeReplace: false,
      });
    }
  });

  it("treats unknown values as changes, and an unknown instance or name as a replacement", () => {
    expect(diff("7", olds, { ...inputs, secret: UNKNOWN }).changes).toBe(true);
    expect(diff("7", olds, { ...inputs, events: [UNKNOWN] }).changes).toBe(true);
    expect(diff("7", olds, { ...inputs, instanceUrl: UNKNOWN }).replaces).toEqual(["instanceUrl"]);
    expect(diff("7", olds, { ...inputs, webhookName: UNKNOWN }).replaces).toEqual(["webhookName"]);
  });
});

describe("state", () => {
  it("upgrades a state without schemaVersion or remoteScope", () => {
    const o = upgradeOutputs(
      {
        bitbucketServer: { url: "https://bbs.example.com/" },
        webhookName: "n",
        url: "https://u",
        secret: "s",
        events: ["repo", "pr"],
        webhookId: 3,
      },
      "3",
    );
    expect(o).toMatchObject({
      instanceUrl: "https://bbs.example.com",
      scope: "global",
      remoteScope: "global",
      events: ["pr", "repo"],
      schemaVersion: 1,
    });
    expect(() => upgradeOutputs({ webhookName: "n" }, "3")).toThrow(/no Bitbucket Server URL/);
  });

  it("keeps the declared scope spelling while the plugin's spelling is unchanged", () => {
    const stored = upgradeOutputs(
      {
        instanceUrl: "https://b",
        webhookName: "n",
        scope: "repository:PROJ/repo-one",
        remoteScope: "repository:Project One/Repo One",
        url: "https://u",
        secret: "s",
        events: ["repo"],
        webhookId: 3,
      },
      "3",
    );
    const hook = {
      id: 3,
      name: "n",
      scope: "repository:Project One/Repo One",
      events: ["repo"],
      endpoint: "https://u",
      secret: "s",
    };
    expect(outputsFromRemote(stored, hook)).toEqual(stored);
    expect(outputsFromRemote(stored, { ...hook, scope: "" }).scope).toBe("");
    expect(outputsFromRemote(stored, { ...hook, secret: undefined }).secret).toBe("");
  });
});

describe("credentials", () => {
  it("prefers an input token, then input basic auth; env token wins over env basic", () => {
    expect(credentialFromConnection({ token: "t" })).toMatchObject({
      kind: "token",
      source: "bitbucketServer.token",
    });
    expect(credentialFromConnection({ username: "u", password: "p" })).toMatchObject({ kind: "basic" });
    expect(credentialFromConnection({ url: "https://x" })).toBeUndefined();
    expect(credentialFromEnv()).toBeUndefined();
    process.env.BITBUCKET_SERVER_USERNAME = "u";
    process.env.BITBUCKET_SERVER_PASSWORD = "p";
    expect(credentialFromEnv()).toMatchObject({
      kind: "basic",
      source: "BITBUCKET_SERVER_USERNAME + BITBUCKET_SERVER_PASSWORD",
    });
    process.env.BITBUCKET_SERVER_TOKEN = "t";
    expect(credentialFromEnv()).toMatchObject({ kind: "token", source: "BITBUCKET_SERVER_TOKEN" });
  });
});
