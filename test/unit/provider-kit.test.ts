// The shared kit of the providers (providers/shared): the state-version guard, base-URL
// normalization, the token-or-basic credential, the credential loop, the event-list check and the
// create-or-adopt template behave as every provider relies on.
import { afterEach, describe, expect, it } from "vitest";
import { defaultEvents } from "../../providers/events";
import { AmbiguousRequestError } from "../../providers/http";
import {
  authorization,
  checkEventList,
  createOrAdopt,
  credentialCandidates,
  credentialSecrets,
  NewerStateError,
  normalizeBaseUrl,
  normalizedOrAsIs,
  sameCredential,
  schemaVersionOf,
  tokenOrBasic,
  UNKNOWN,
  withCredentials,
} from "../../providers/shared";

afterEach(() => {
  delete process.env.KIT_TEST_TOKEN;
});

describe("schemaVersionOf", () => {
  it("reads the stored version, 0 before there was one", () => {
    expect(schemaVersionOf({ schemaVersion: 1 }, 1, "x")).toBe(1);
    expect(schemaVersionOf({}, 1, "x")).toBe(0);
  });

  it("refuses a newer version with a message that names the fix and data that says why", () => {
    let caught: unknown;
    try {
      schemaVersionOf({ schemaVersion: 3 }, 1, 'Bitbucket Server webhook "h"');
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(NewerStateError);
    const err = caught as NewerStateError;
    expect(err).toMatchObject({ reason: "newerState", version: 3, supported: 1 });
    expect(err.message).toBe(
      'The state of Bitbucket Server webhook "h" was written by a newer pulumi-sourcegraph-webhooks (schemaVersion 3; this one reads up to 1): upgrade the pulumi-sourcegraph-webhooks package of the Pulumi program to the version that wrote it or a later one, then run again',
    );
  });
});

describe("normalizeBaseUrl", () => {
  it.each([
    ["https://GitLab.Example.com/", "https://gitlab.example.com"],
    [" HTTPS://api.bitbucket.org/2.0/ ", "https://api.bitbucket.org/2.0"],
    ["https://bitbucket.example.com:443/bitbucket//", "https://bitbucket.example.com/bitbucket"],
    ["http://127.0.0.1:8080", "http://127.0.0.1:8080"],
  ])("%s -> %s", (raw, normal) => {
    expect(normalizeBaseUrl(raw)).toBe(normal);
    expect(normalizeBaseUrl(normal)).toBe(normal);
  });

  it("throws on what does not parse; normalizedOrAsIs keeps it", () => {
    expect(() => normalizeBaseUrl("gitlab.example.com")).toThrow();
    expect(normalizedOrAsIs(" gitlab.example.com/ ")).toBe("gitlab.example.com");
    expect(normalizedOrAsIs("https://GitLab.example.com/")).toBe("https://gitlab.example.com");
  });
});

describe("the token-or-basic credential", () => {
  const sources = { token: "x.token", basic: "x.username + x.password" };

  it("takes a token over a username and password, which count only together", () => {
    expect(tokenOrBasic({ token: "t", username: "u", password: "p" }, sources)).toEqual({
      kind: "token",
      token: "t",
      source: "x.token",
    });
    expect(tokenOrBasic({ username: "u", password: "p" }, sources)).toMatchObject({ kind: "basic" });
    expect(tokenOrBasic({ username: "u" }, sources)).toBeUndefined();
    expect(tokenOrBasic({}, sources)).toBeUndefined();
  });

  it("builds the header and lists what to redact, the base64 of a Basic pair included", () => {
    const b = tokenOrBasic({ username: "u", password: "pw" }, sources)!;
    const b64 = Buffer.from("u:pw").toString("base64");
    expect(authorization(b)).toBe(`Basic ${b64}`);
    expect(credentialSecrets(b)).toEqual(["pw", b64]);
    expect(authorization(tokenOrBasic({ token: "t" }, sources)!)).toBe("Bearer t");
  });

  it("orders candidates without repeats", () => {
    const stored = tokenOrBasic({ token: "a" }, sources);
    const fromEnv = tokenOrBasic({ token: "a" }, { token: "ENV", basic: "ENV2" });
    expect(credentialCandidates([stored, fromEnv], sameCredential)).toEqual([stored]);
    expect(credentialCandidates([undefined, fromEnv], sameCredential)).toEqual([fromEnv]);
  });
});

describe("withCredentials", () => {
  const refused = (err: unknown) => err instanceof Error && err.message === "401";

  it("moves on when a candidate is refused, and throws any other error at once", async () => {
    const used: string[] = [];
    const result = await withCredentials(
      { candidates: ["old", "new"], refused, missing: () => new Error("none") },
      async (c) => {
        used.push(c);
        if (c === "old") throw new Error("401");
        return c;
      },
    );
    expect(result).toBe("new");
    expect(used).toEqual(["old", "new"]);
    await expect(
      withCredentials({ candidates: ["a", "b"], refused, missing: () => new Error("none") }, async () => {
        throw new Error("500");
      }),
    ).rejects.toThrow("500");
  });

  it("names what is missing, and what every refused candidate was", async () => {
    await expect(
      withCredentials({ candidates: [], refused, missing: () => new Error("set X_TOKEN") }, async () => 1),
    ).rejects.toThrow("set X_TOKEN");
    await expect(
      withCredentials(
        {
          candidates: ["a", "b"],
          refused,
          missing: () => new Error("none"),
          allRefused: (_last, tried) => new Error(`refused: ${tried.join(", then ")}`),
        },
        async () => {
          throw new Error("401");
        },
      ),
    ).rejects.toThrow("refused: a, then b");
  });
});

describe("checkEventList", () => {
  it("defaults, sorts and de-duplicates", () => {
    expect(checkEventList("gitlab", undefined)).toEqual({
      status: "valid",
      events: [...defaultEvents("gitlab")].sort(),
    });
    expect(checkEventList("bitbucketCloud", ["repo:push", "repo:push"])).toEqual({
      status: "valid",
      events: ["repo:push"],
    });
  });

  it("has one message for a list that is not one, listing the valid names", () => {
    for (const bad of [[], "repo:push", [1]]) {
      const r = checkEventList("bitbucketServer", bad);
      expect(r.status).toBe("invalid");
      expect(r.status === "invalid" && r.problem).toMatch(
        /^events must be a non-empty list of bitbucketServer event names; valid: .*repo:refs_changed/,
      );
    }
    const r = checkEventList("bitbucketCloud", ["repo:pushed"]);
    expect(r.status === "invalid" && r.problem).toMatch(
      /^unknown bitbucketCloud event "repo:pushed"; valid: /,
    );
  });

  it("keeps a list not known yet as given", () => {
    expect(checkEventList("gitlab", [UNKNOWN, "push_events"])).toEqual({
      status: "unknown",
      events: [UNKNOWN, "push_events"],
    });
  });
});

describe("createOrAdopt", () => {
  const ambiguous = () => new AmbiguousRequestError("POST timed out", "https://x.example/hooks");

  it("adopts what exists, and never creates then", async () => {
    let created = 0;
    const out = await createOrAdopt({
      find: async () => "existing",
      adopt: async (found) => `adopted ${found}`,
      create: async () => `created ${++created}`,
      identity: "the same URL",
    });
    expect(out).toBe("adopted existing");
    expect(created).toBe(0);
  });

  it("after an ambiguous create, adopts what it made, or creates once more", async () => {
    const looks: boolean[] = [];
    const made = await createOrAdopt({
      find: async (again) => {
        looks.push(again);
        return again ? "made" : undefined;
      },
      adopt: async (found, again) => `adopted ${found} ${again}`,
      create: async () => {
        throw ambiguous();
      },
      identity: "the same URL",
    });
    expect(made).toBe("adopted made true");
    expect(looks).toEqual([false, true]);

    let creates = 0;
    await expect(
      createOrAdopt({
        find: async () => undefined,
        adopt: async () => "never",
        create: async () => {
          creates++;
          throw ambiguous();
        },
        identity: "the hook with the same URL",
      }),
    ).rejects.toThrow(/This was the second try: .*adopts what was made \(the hook with the same URL\)/);
    expect(creates).toBe(2);
  });
});
