// Proves the providers' shared kit behaves as every provider relies on.
// The providers' shared kit (providers/shared): the provider template, the state-version guard,
// base-URL normalization, the token-or-basic credential, the credential loop, the event-list check
// and the create-or-adopt template behave as every provider relies on.
import { afterEach, describe, expect, it } from "vitest";
import { defaultEvents } from "../../providers/events";
import { AmbiguousRequestError } from "../../providers/http";
import {
  authorization,
  checkEventList,
  createOrAdopt,
  credentialSecrets,
  dynamicProvider,
  env,
  NewerStateError,
  normalizeBaseUrl,
  normalizedOrAsIs,
  schemaVersionOf,
  tokenCredential,
  tokenOrBasic,
  UNKNOWN,
  withCredentials,
} from "../../providers/shared";

afterEach(() => {
  delete process.env.KIT_TEST_TOKEN;
});

describe("dynamicProvider", () => {
  it("runs the pure check and diff as the engine's calls, and a throw in them as a rejection", async () => {
    const p = dynamicProvider({
      check: (news) => {
        if (news.bad) throw new Error("bad input");
        return { inputs: news, failures: [] };
      },
      diff: (id, olds, news) => ({ changes: olds.a !== news.a, replaces: id === "r" ? ["a"] : [] }),
      create: async () => ({ id: "1", outs: {} }),
      read: async () => ({}),
      update: async () => ({ outs: {} }),
      delete: async () => {},
    });
    expect(await p.check({}, { a: 1 })).toEqual({ inputs: { a: 1 }, failures: [] });
    expect(await p.diff("r", { a: 1 }, { a: 2 })).toEqual({ changes: true, replaces: ["a"] });
    await expect(p.check({}, { bad: true })).rejects.toThrow("bad input");
    expect(await p.create({})).toEqual({ id: "1", outs: {} });
  });
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
  const NAMES = { token: "token", username: "username", password: "password" };
  const from = (values: Record<string, string>) =>
    tokenOrBasic((name) => values[name], NAMES, "bitbucketServer.");

  it("takes a token over a username and password, which count only together, and says where it came from", () => {
    expect(from({ token: "t", username: "u", password: "p" })).toEqual({
      kind: "token",
      token: "t",
      source: "bitbucketServer.token",
    });
    expect(from({ username: "u", password: "p" })).toEqual({
      kind: "basic",
      username: "u",
      password: "p",
      source: "bitbucketServer.username + bitbucketServer.password",
    });
    expect(from({ username: "u" })).toBeUndefined();
    expect(from({ token: "" })).toBeUndefined();
  });

  it("reads environment variables at call time", () => {
    const names = { token: "KIT_TEST_TOKEN", username: "KIT_TEST_USER", password: "KIT_TEST_PASSWORD" };
    expect(tokenOrBasic(env, names)).toBeUndefined();
    process.env.KIT_TEST_TOKEN = "from-env";
    expect(tokenOrBasic(env, names)).toMatchObject({ token: "from-env", source: "KIT_TEST_TOKEN" });
  });

  it("builds the header and lists what to redact, the base64 of a Basic pair included", () => {
    const b = from({ username: "u", password: "pw" })!;
    const b64 = Buffer.from("u:pw").toString("base64");
    expect(authorization(b)).toBe(`Basic ${b64}`);
    expect(credentialSecrets(b)).toEqual(["pw", b64]);
    expect(authorization(tokenCredential("t", "x")!)).toBe("Bearer t");
  });
});

describe("withCredentials", () => {
  const refused = (err: unknown) => err instanceof Error && err.message === "401";
  const stored = tokenCredential("old", "the stored token");
  const fromEnv = tokenCredential("new", "X_TOKEN");
  const missing = () => new Error("set X_TOKEN");

  it("moves on when a candidate is refused, and throws any other error at once", async () => {
    const used: string[] = [];
    const result = await withCredentials({ candidates: [stored, fromEnv], refused, missing }, async (c) => {
      used.push(c.token);
      if (c.token === "old") throw new Error("401");
      return c.token;
    });
    expect(result).toBe("new");
    expect(used).toEqual(["old", "new"]);
    await expect(
      withCredentials({ candidates: [stored, fromEnv], refused, missing }, async () => {
        throw new Error("500");
      }),
    ).rejects.toThrow("500");
  });

  it("skips absent candidates and repeats", async () => {
    const used: string[] = [];
    const again = tokenCredential("old", "X_TOKEN");
    await withCredentials({ candidates: [undefined, stored, again], refused, missing }, async (c) => {
      used.push(c.source);
      throw new Error("401");
    }).catch(() => undefined);
    expect(used).toEqual(["the stored token"]);
  });

  it("names what is missing, and what every refused candidate was", async () => {
    await expect(
      withCredentials({ candidates: [undefined], refused, missing }, async () => 1),
    ).rejects.toThrow("set X_TOKEN");
    await expect(
      withCredentials(
        {
          candidates: [stored, fromEnv],
          refused,
          missing,
          allRefused: (_last, tried) => new Error(`refused: ${tried.map((c) => c.source).join(", then ")}`),
        },
        async () => {
          throw new Error("401");
        },
      ),
    ).rejects.toThrow("refused: the stored token, then X_TOKEN");
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
