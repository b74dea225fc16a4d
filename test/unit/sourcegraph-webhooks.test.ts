// Proves a SourcegraphWebhooks declaration resolves once, without Pulumi, and reports every problem.
// One object per connection (key, kind, URL, events, secret, hooks to make); each problem with its path.
import { describe, expect, it } from "vitest";
import { events } from "../../src";
import { connectionKeys, declarationProblems, resolveDeclaration } from "../../src/components/connections";
import { DeclarationError, InvalidDeclarationError } from "../../src/components/declaration-error";

const NO_ENV = {};

describe("resolveDeclaration: one object per connection", () => {
  it("resolves each code host's connections in order, with keys, kinds, URLs, events and hooks", () => {
    const { connections, relayUrl } = resolveDeclaration(
      {
        github: [
          {
            url: "https://ghe.example.com/",
            organizations: ["acme"],
            repositories: ["octo/tool"],
            features: ["permissions"],
          },
        ],
        gitlab: [{ name: "main", projects: ["a/b", 7], groups: ["g"], enableSslVerification: false }],
        bitbucketServer: [{ url: "https://bitbucket.example.com/scm", scopes: ["global", "project:KEY"] }],
        bitbucketCloud: [
          { workspaces: ["ws"], repositories: ["ws/repo"], secret: false, events: ["repo:push"] },
        ],
        relay: { publicUrl: "https://relay.example.com//" },
      },
      NO_ENV,
    );
    expect(relayUrl).toBe("https://relay.example.com");
    expect(connections.map((c) => [c.host, c.key, c.connection, c.kind, c.url])).toEqual([
      ["github", "ghe.example.com", "github/ghe.example.com", "GITHUB", "https://ghe.example.com"],
      ["gitlab", "main", "gitlab/main", "GITLAB", "https://gitlab.com"],
      [
        "bitbucketServer",
        "bitbucket.example.com-scm",
        "bitbucketServer/bitbucket.example.com-scm",
        "BITBUCKETSERVER",
        "https://bitbucket.example.com/scm",
      ],
      [
        "bitbucketCloud",
        "bitbucket.org",
        "bitbucketCloud/bitbucket.org",
        "BITBUCKETCLOUD",
        "https://bitbucket.org",
      ],
    ]);
    const [gh, gl, bbs, bbc] = connections;
    expect(gh!.events).toEqual([...events.github.permissions]);
    expect(gh!.hooks).toEqual([
      { name: "org-acme", kind: "organization", owner: "acme" },
      { name: "repo-octo/tool", kind: "repository", owner: "octo", repository: "tool" },
    ]);
    expect(gl!.hooks).toEqual([
      { name: "project-a/b", kind: "project", target: "a/b" },
      { name: "project-7", kind: "project", target: 7 },
      { name: "group-g", kind: "group", target: "g" },
    ]);
    expect(gl).toMatchObject({ host: "gitlab", enableSslVerification: false });
    // `:` and `/` would read as URN separators in resource names.
    expect(bbs!.hooks).toEqual([
      { name: "global", kind: "plugin", scope: "global" },
      { name: "project-KEY", kind: "plugin", scope: "project:KEY" },
    ]);
    expect(bbc).toMatchObject({ secret: false, events: ["repo:push"] });
    expect(bbc!.hooks).toEqual([
      { name: "workspace-ws", kind: "workspace", workspace: "ws" },
      { name: "repo-ws/repo", kind: "repository", workspace: "ws", repository: "repo" },
    ]);
  });

  it("reads the URL fallbacks from the environment it is given", () => {
    const env = {
      GITLAB_URL: "https://gitlab.example.com/",
      BITBUCKET_SERVER_URL: "https://bbs.example.com",
    };
    const { connections } = resolveDeclaration({ gitlab: [{ projects: [1] }], bitbucketServer: [{}] }, env);
    expect(connections.map((c) => [c.key, c.url])).toEqual([
      ["gitlab.example.com", "https://gitlab.example.com"],
      ["bbs.example.com", "https://bbs.example.com"],
    ]);
    expect(connectionKeys({ gitlab: [{ projects: [1] }] }, env).gitlab).toEqual(["gitlab.example.com"]);
  });

  it("throws one InvalidDeclarationError with every problem, each a DeclarationError with its path", () => {
    let error: unknown;
    try {
      resolveDeclaration(
        {
          gitlab: [{ url: "gitlab.example.com", projects: ["x", "x", "x"] }],
          bitbucketServer: [{ scopes: ["repo:X"] }],
        },
        NO_ENV,
      );
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(InvalidDeclarationError);
    expect(error).toBeInstanceOf(AggregateError);
    const problems = (error as InvalidDeclarationError).problems;
    expect((error as AggregateError).errors).toEqual(problems);
    expect(problems.map((p) => p.path)).toEqual([
      "gitlab[0].url",
      // A value listed three times is one problem.
      "gitlab[0].projects",
      "bitbucketServer[0].url",
      "bitbucketServer[0].scopes",
    ]);
    expect(problems[0]).toBeInstanceOf(DeclarationError);
    expect(problems[0]!.message).toBe(
      'gitlab[0].url: "gitlab.example.com" is not a URL; expected one such as https://host.example.com',
    );
    expect(problems[2]!.problem).toContain("required: the Bitbucket Server URL");
  });

  it("the declaration as a whole has the empty path and the component's name in its message", () => {
    const [problem, ...rest] = declarationProblems({}, NO_ENV);
    expect(rest).toEqual([]);
    expect(problem!.path).toBe("");
    expect(problem!.message).toBe(
      "SourcegraphWebhooks: declares no code host connection; set at least one of github, gitlab, bitbucketServer, bitbucketCloud",
    );
  });

  it("connectionKeys needs a URL for each connection", () => {
    expect(() => connectionKeys({ bitbucketServer: [{}] }, NO_ENV)).toThrow(
      "bitbucketServer[0].url: required: the Bitbucket Server URL",
    );
  });
});
