// Proves the Sourcegraph receiver provider's pure parts: URN normalization, check, diff, secrets, state.
import { afterEach, describe, expect, it } from "vitest";
import { isHttpUrl, normalizeBaseUrl, UNKNOWN } from "../../providers/shared";
import {
  check,
  diff,
  generateSecret,
  MESSAGES,
  normalizeUrn,
  upgradeOutputs,
} from "../../providers/sourcegraph";
import { goNormalizeBaseUrl } from "../../src/stand-ins/sourcegraph/normalize";
import {
  marshalId,
  parseWebhookCursor,
  webhookCursor,
  webhookId,
} from "../../src/stand-ins/sourcegraph/relay";

const savedEnv = { ...process.env };
afterEach(() => {
  process.env = { ...savedEnv };
});

describe("normalizeUrn (Sourcegraph's NormalizeBaseURL)", () => {
  it.each([
    ["https://github.com", "https://github.com/"],
    ["https://GitHub.com", "https://github.com/"],
    ["https://github.com/", "https://github.com/"],
    ["HTTPS://GitLab.Example.com/gitlab", "https://gitlab.example.com/gitlab/"],
    ["https://gitlab.example.com/GitLab/", "https://gitlab.example.com/GitLab/"],
    ["https://bitbucket.example.com:8443", "https://bitbucket.example.com:8443/"],
    ["https://github.com:443", "https://github.com:443/"],
    ["https://github.com?x=1", "https://github.com/?x=1"],
  ])("%s -> %s, exactly as the fake's Go-equivalent parser stores it", (given, stored) => {
    expect(normalizeUrn(given)).toBe(stored);
    const fake = goNormalizeBaseUrl(given);
    expect(fake.ok && fake.value).toBe(stored);
  });

  it("is idempotent", () => {
    for (const u of ["https://GitHub.com", "http://x.example/a/b", "https://h:1/p/"]) {
      expect(normalizeUrn(normalizeUrn(u))).toBe(normalizeUrn(u));
    }
  });

  it("accepts only absolute http(s) URLs with a host", () => {
    expect(isHttpUrl("https://github.com")).toBe(true);
    expect(isHttpUrl("http://127.0.0.1:8080/x")).toBe(true);
    for (const bad of ["github.com", "ftp://github.com", "https://", "", "/relative", 42, undefined]) {
      expect(isHttpUrl(bad)).toBe(false);
    }
  });

  it("normalizes endpoints: case of the host and trailing slashes do not matter", () => {
    expect(normalizeBaseUrl("https://SG.example.com/")).toBe("https://sg.example.com");
    expect(normalizeBaseUrl("https://sg.example.com/prefix//")).toBe("https://sg.example.com/prefix");
  });
});

describe("relay IDs and cursors in the fake", () => {
  it("match graph-gophers' encoding", () => {
    expect(webhookId(1)).toBe("V2ViaG9vazox");
    expect(webhookId(10)).toBe("V2ViaG9vazoxMA==");
    expect(webhookId(42)).toBe("V2ViaG9vazo0Mg==");
    expect(marshalId("Webhook", 123)).toBe("V2ViaG9vazoxMjM=");
    expect(webhookCursor(3)).toBe(
      "V2ViaG9va0N1cnNvcjp7IkNvbHVtbiI6ImlkIiwiVmFsdWUiOiIzIiwiRGlyZWN0aW9uIjoibmV4dCJ9",
    );
    expect(parseWebhookCursor("invalid-cursor-value")).toEqual({
      error: 'cannot unmarshal webhook cursor type: ""',
    });
  });
});

describe("generateSecret", () => {
  it("makes 40 random alphanumerics", () => {
    const a = generateSecret();
    expect(a).toMatch(/^[A-Za-z0-9]{40}$/);
    expect(generateSecret()).not.toBe(a);
  });
});

const good = {
  codeHostKind: "GITHUB",
  codeHostUrn: "https://GitHub.com",
  webhookName: "proj-dev-gh",
  sourcegraph: { endpoint: "https://sg.example.com" },
};

describe("check", () => {
  it("normalizes the URN and passes valid inputs", () => {
    const r = check(good);
    expect(r.failures).toEqual([]);
    expect(r.inputs).toEqual({ ...good, codeHostUrn: "https://github.com/" });
  });

  it.each([
    [{ codeHostKind: "github" }, "codeHostKind", MESSAGES.kind("github")],
    [{ codeHostKind: "AZUREDEVOPS" }, "codeHostKind", MESSAGES.kind("AZUREDEVOPS")],
    [{ codeHostUrn: "github.com" }, "codeHostUrn", MESSAGES.urn("github.com")],
    [{ codeHostUrn: "ftp://x" }, "codeHostUrn", MESSAGES.urn("ftp://x")],
    [{ webhookName: "" }, "webhookName", MESSAGES.name("")],
    [{ webhookName: "  " }, "webhookName", MESSAGES.name("  ")],
    [{ secret: "" }, "secret", MESSAGES.secretEmpty],
    [{ secret: true }, "secret", MESSAGES.secretType(true)],
    [{ adopt: "yes" }, "adopt", MESSAGES.adopt("yes")],
    [{ sourcegraph: { endpoint: "sg.example.com" } }, "sourcegraph", MESSAGES.endpoint("sg.example.com")],
    [{ sourcegraph: { endpoint: "https://sg", accessToken: "" } }, "sourcegraph", MESSAGES.token],
  ])("%j fails on %s", (change, property, reason) => {
    const r = check({ ...good, ...change });
    expect(r.failures).toEqual([{ property, reason }]);
  });

  it("says exactly what is valid", () => {
    expect(MESSAGES.kind("github")).toBe(
      'codeHostKind must be one of GITHUB, GITLAB, BITBUCKETSERVER, BITBUCKETCLOUD (upper case, as Sourcegraph spells them); got "github"',
    );
    expect(MESSAGES.secretEmpty).toContain("set it to false for none");
  });

  it("fails without an endpoint in inputs or SRC_ENDPOINT, and passes with SRC_ENDPOINT", () => {
    delete process.env.SRC_ENDPOINT;
    const { sourcegraph: _, ...noEndpoint } = good;
    expect(check(noEndpoint).failures).toEqual([{ property: "sourcegraph", reason: MESSAGES.noEndpoint }]);
    process.env.SRC_ENDPOINT = "https://sg.example.com";
    expect(check(noEndpoint).failures).toEqual([]);
  });

  it("lets unknown values through (preview)", () => {
    const r = check({
      codeHostKind: UNKNOWN,
      codeHostUrn: UNKNOWN,
      webhookName: UNKNOWN,
      secret: UNKNOWN,
      adopt: UNKNOWN,
      sourcegraph: UNKNOWN,
    });
    expect(r.failures).toEqual([]);
    expect(r.inputs.codeHostUrn).toBe(UNKNOWN);
  });

  it("keeps secret: false", () => {
    expect(check({ ...good, secret: false }).inputs.secret).toBe(false);
  });
});

const stored = {
  schemaVersion: 1,
  webhookId: "V2ViaG9vazox",
  uuid: "54104dbb-0b71-4a83-aa6b-eef46241614a",
  url: "https://sg.example.com/.api/webhooks/54104dbb-0b71-4a83-aa6b-eef46241614a",
  codeHostKind: "GITHUB",
  codeHostUrn: "https://github.com/",
  webhookName: "proj-dev-gh",
  secret: "s3cretS3cretS3cret",
  endpoint: "https://sg.example.com",
  sourcegraph: { endpoint: "https://sg.example.com" },
};
const id = stored.webhookId;

describe("diff", () => {
  it("sees no change when https://GitHub.com is declared and https://github.com/ is stored", () => {
    const news = check({ ...good, secret: stored.secret }).inputs;
    expect(news.codeHostUrn).toBe("https://github.com/");
    expect(diff(id, stored, { ...good, secret: stored.secret })).toEqual({
      changes: false,
      replaces: [],
      deleteBeforeReplace: false,
    });
  });

  it("keeps a generated secret when none is declared", () => {
    expect(diff(id, stored, good).changes).toBe(false);
  });

  it.each([
    ["codeHostKind", { codeHostKind: "GITLAB" }],
    ["codeHostUrn", { codeHostUrn: "https://github.example.com" }],
    ["webhookName", { webhookName: "renamed" }],
    ["secret", { secret: "another" }],
    ["secret", { secret: false }],
    ["sourcegraph", { sourcegraph: { endpoint: "https://sg.example.com", accessToken: "sgp_new" } }],
  ])("updates %s in place", (_what, change) => {
    const r = diff(id, stored, { ...good, secret: stored.secret, ...change });
    expect(r).toEqual({ changes: true, replaces: [], deleteBeforeReplace: false });
  });

  it("replaces the receiver for another Sourcegraph instance, deleting first", () => {
    const r = diff(id, stored, { ...good, sourcegraph: { endpoint: "https://other.example.com" } });
    expect(r).toEqual({ changes: true, replaces: ["sourcegraph"], deleteBeforeReplace: true });
  });

  it("does not replace for the same instance spelled differently", () => {
    const r = diff(id, { ...stored, sourcegraph: undefined }, { ...good, sourcegraph: undefined });
    expect(r.replaces).toEqual([]);
    process.env.SRC_ENDPOINT = "https://SG.example.com/";
    expect(diff(id, { ...stored, sourcegraph: undefined }, { ...good, sourcegraph: undefined })).toEqual({
      changes: false,
      replaces: [],
      deleteBeforeReplace: false,
    });
    process.env.SRC_ENDPOINT = "https://elsewhere.example.com";
    expect(
      diff(id, { ...stored, sourcegraph: undefined }, { ...good, sourcegraph: undefined }).replaces,
    ).toEqual(["sourcegraph"]);
  });

  it("sees no change when the declared endpoint is the stored one spelled differently", () => {
    const news = check({
      ...good,
      secret: stored.secret,
      sourcegraph: { endpoint: "https://SG.example.com/" },
    });
    expect(news.failures).toEqual([]);
    expect(diff(id, stored, news.inputs)).toEqual({
      changes: false,
      replaces: [],
      deleteBeforeReplace: false,
    });
  });

  it("treats unknown values as changes, and an unknown endpoint as a possible replacement", () => {
    for (const key of ["codeHostKind", "codeHostUrn", "webhookName", "secret"]) {
      const r = diff(id, stored, { ...good, secret: stored.secret, [key]: UNKNOWN });
      expect(r.changes, key).toBe(true);
      expect(r.replaces, key).toEqual([]);
    }
    expect(diff(id, stored, { ...good, sourcegraph: UNKNOWN }).replaces).toEqual(["sourcegraph"]);
    expect(diff(id, stored, { ...good, sourcegraph: { endpoint: UNKNOWN } }).replaces).toEqual([
      "sourcegraph",
    ]);
  });

  it("asks for a secret when the stored receiver has none and none is declared", () => {
    const { secret: _, ...noSecret } = stored;
    expect(diff(id, noSecret, good).changes).toBe(true);
    expect(diff(id, noSecret, { ...good, secret: false }).changes).toBe(false);
  });
});

describe("upgradeOutputs", () => {
  it("reads shape 0 (Sourcegraph's field names, endpoint only under sourcegraph)", () => {
    const old = {
      uuid: stored.uuid,
      url: stored.url,
      codeHostKind: "GITHUB",
      codeHostURN: "https://GitHub.com",
      name: "proj-dev-gh",
      secret: stored.secret,
      sourcegraph: { endpoint: "https://sg.example.com/", accessToken: "sgp_x" },
    };
    expect(upgradeOutputs(old, id)).toEqual({
      ...stored,
      sourcegraph: { endpoint: "https://sg.example.com/", accessToken: "sgp_x" },
    });
  });

  it("refuses state from a newer version and state without an endpoint", () => {
    expect(() => upgradeOutputs({ ...stored, schemaVersion: 2 }, id)).toThrow(
      /newer pulumi-sourcegraph-webhooks/,
    );
    expect(() => upgradeOutputs({ ...stored, endpoint: undefined, sourcegraph: undefined }, id)).toThrow(
      /records no Sourcegraph endpoint/,
    );
  });
});
