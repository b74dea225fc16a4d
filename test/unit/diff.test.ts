// Proves the diff engine tells each kind of change between two stack files in the declaration's terms, and nothing for reordering.
// Each test writes a base and a head stack file (with the Pulumi.yaml beside them) and reads the
// changes `sg-webhooks diff` would print, with the component's resource names.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { ReviewedChange } from "../../src/review/change";
import { eventImpact } from "../../src/review/event-meanings";
import { runDiff } from "../../src/review/run-diff";

const dir = mkdtempSync(join(tmpdir(), "sg-diff-unit-"));
writeFileSync(join(dir, "Pulumi.yaml"), "name: sourcegraph-webhooks\nruntime: nodejs\n");
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const ENV = {};
const CIPHER_A = "v1:YWFhYWFhYWFhYWFh:QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFB";
const CIPHER_B = "v1:YmJiYmJiYmJiYmJi:QkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJC";

/** A stack file with these config keys (YAML under `config:`, without the project prefix). */
function stackFile(name: string, keys: Record<string, string>): string {
  const body = Object.entries(keys)
    .map(([key, yaml]) => `  sourcegraph-webhooks:${key}:\n${yaml.replace(/^/gm, "    ").trimEnd()}\n`)
    .join("");
  const file = join(dir, `Pulumi.${name}.yaml`);
  writeFileSync(file, `config:\n${body}`);
  return file;
}

let n = 0;
/** The changes from `base` to `head`, each a stack file's config keys. */
function diff(base: Record<string, string>, head: Record<string, string>): ReviewedChange[] {
  n++;
  const run = runDiff({
    base: stackFile(`base${n}`, base),
    head: stackFile(`head${n}`, head),
    format: "text",
    env: ENV,
  });
  expect(run.errors).toBe("");
  expect(run.exitCode).toBe(0);
  return [...run.changes];
}

const brief = (changes: ReviewedChange[]) => changes.map((c) => [c.kind, c.resource]);

const GITLAB = `- url: https://gitlab.example.com
  projects: [platform/api, platform/web]
  groups: [infrastructure]`;
const GITHUB = `- organizations: [acme]
  repositories: [acme/web]`;
const BASE = { github: GITHUB, gitlab: GITLAB };

describe("no change", () => {
  it("the same file, and the same declaration reordered (keys, lists, connections, features as events)", () => {
    expect(diff(BASE, BASE)).toEqual([]);
    const reordered = {
      gitlab: `- groups: [infrastructure]
  projects: [platform/web, platform/api]
  url: https://gitlab.example.com/
- name: second
  url: https://gitlab.example.com
  projects: [1]`,
      github: `- repositories: [acme/web]
  organizations: [acme]
  events: [push, status, check_suite, check_run, pull_request_review_comment, pull_request_review, pull_request, issue_comment]`,
    };
    const withSecond = {
      ...BASE,
      gitlab: `${GITLAB}\n- name: second\n  url: https://gitlab.example.com\n  projects: [1]`,
    };
    expect(diff(withSecond, reordered)).toEqual([]);
  });

  it("says so in every format", () => {
    const base = stackFile("same-a", BASE);
    const head = stackFile("same-b", BASE);
    const run = (format: "text" | "markdown" | "json") => runDiff({ base, head, format, env: ENV }).output;
    expect(run("text")).toMatch(/^No webhook changes from .*: both deploy the same receivers and hooks/);
    expect(run("markdown")).toMatch(/No webhook changes compared with/);
    expect(JSON.parse(run("json"))).toEqual({ changes: [] });
  });
});

describe("receivers and hooks", () => {
  it("a connection added: its receiver and each hook, under the component's names, with their targets", () => {
    const changes = diff({ gitlab: GITLAB }, BASE);
    expect(brief(changes)).toEqual([
      ["receiver_added", "sourcegraph-github-github.com"],
      ["hook_added", "sourcegraph-github-github.com-org-acme"],
      ["hook_added", "sourcegraph-github-github.com-repo-acme/web"],
    ]);
    expect(changes[0]!.detail).toBe(
      "a Sourcegraph receiver for GitHub at https://github.com is created, with 2 hooks",
    );
    expect(changes[2]!.detail).toMatch(
      /^repository hook on acme\/web is created, delivering to its receiver \(8 events: /,
    );
    expect(changes.every((c) => c.connection === "github/github.com")).toBe(true);
  });

  it("a connection removed, loudly", () => {
    const changes = diff(BASE, { github: GITHUB });
    expect(brief(changes)).toEqual([
      ["receiver_removed", "sourcegraph-gitlab-gitlab.example.com"],
      ["hook_removed", "sourcegraph-gitlab-gitlab.example.com-project-platform/api"],
      ["hook_removed", "sourcegraph-gitlab-gitlab.example.com-project-platform/web"],
      ["hook_removed", "sourcegraph-gitlab-gitlab.example.com-group-infrastructure"],
    ]);
    expect(changes.every((c) => c.attention)).toBe(true);
    expect(changes[0]!.detail).toContain("is deleted, and its 3 hooks with it");
  });

  it("hooks added and removed within a connection", () => {
    const head = { ...BASE, gitlab: GITLAB.replace("platform/api", "platform/docs") };
    expect(brief(diff(BASE, head))).toEqual([
      ["hook_removed", "sourcegraph-gitlab-gitlab.example.com-project-platform/api"],
      ["hook_added", "sourcegraph-gitlab-gitlab.example.com-project-platform/docs"],
    ]);
  });
});

describe("events", () => {
  it("removed, with the feature that needed them", () => {
    const head = {
      ...BASE,
      github: `${GITHUB}\n  events: [issue_comment, pull_request, pull_request_review, check_run, check_suite, status, push]`,
    };
    const changes = diff(BASE, head);
    expect(brief(changes)).toEqual([
      ["events_removed", "sourcegraph-github-github.com-org-acme"],
      ["events_removed", "sourcegraph-github-github.com-repo-acme/web"],
    ]);
    expect(changes[0]!.detail).toBe(
      "organization hook on acme no longer sends pull_request_review_comment: batch changes will stop seeing review comments",
    );
    expect(changes[0]!.attention).toBeDefined();
  });

  it("added, and a whole feature gone", () => {
    const head = {
      github: `${GITHUB}\n  features: [batchChanges, push, permissions]`,
      gitlab: `${GITLAB}\n  features: [batchChanges]`,
    };
    const changes = diff(BASE, head);
    expect(brief(changes)).toEqual([
      ["events_added", "sourcegraph-github-github.com-org-acme"],
      ["events_added", "sourcegraph-github-github.com-repo-acme/web"],
      ["events_removed", "sourcegraph-gitlab-gitlab.example.com-project-platform/api"],
      ["events_removed", "sourcegraph-gitlab-gitlab.example.com-project-platform/web"],
      ["events_removed", "sourcegraph-gitlab-gitlab.example.com-group-infrastructure"],
    ]);
    expect(changes[0]!.detail).toBe(
      "organization hook on acme now also sends member, membership, organization, repository, team: permission syncs will start seeing collaborator changes, team membership changes, organization membership changes, repository changes and team changes",
    );
    expect(changes[2]!.detail).toBe(
      "project hook on platform/api no longer sends push_events: Sourcegraph will stop hearing of pushes (repositories update on its periodic sync only)",
    );
  });

  it("each sentence names the feature, and events no feature reads", () => {
    expect(eventImpact("gitlab", ["merge_requests_events", "pipeline_events"], false)).toBe(
      "batch changes will get nothing from this hook (every event batch changes needs is gone)",
    );
    expect(eventImpact("bitbucketServer", ["pr:activity:comment"], false)).toBe(
      "batch changes will stop seeing comments",
    );
    expect(eventImpact("github", ["star", "pull_request_review_comment"], true)).toBe(
      "batch changes will start seeing review comments; no Sourcegraph feature reads star",
    );
  });
});

describe("URLs, the relay and TLS", () => {
  it("a named connection moved to another URL: the receiver follows, the hooks are replaced", () => {
    const base = { gitlab: `${GITLAB}\n  name: main` };
    const head = {
      gitlab: `${GITLAB.replace("gitlab.example.com", "gitlab.new.example.com")}\n  name: main`,
    };
    const changes = diff(base, head);
    expect(brief(changes)).toEqual([["url_changed", "sourcegraph-gitlab-main"]]);
    expect(changes[0]!.detail).toBe(
      "the code host URL changes from https://gitlab.example.com to https://gitlab.new.example.com: the receiver is updated in place, and its 3 hooks are REPLACED on the GitLab at the new URL",
    );
  });

  it("hooks moved behind a relay, and back", () => {
    const head = { ...BASE, relay: "publicUrl: https://relay.example.com" };
    const changes = diff(BASE, head);
    expect(brief(changes)).toEqual([
      ["relay_changed", "sourcegraph-github-github.com"],
      ["relay_changed", "sourcegraph-gitlab-gitlab.example.com"],
    ]);
    expect(changes[1]!.detail).toMatch(
      /^its 3 hooks will deliver to the relay at https:\/\/relay.example.com instead/,
    );
    expect(diff(head, BASE)[0]!.detail).toMatch(/straight to Sourcegraph instead of through the relay/);
  });

  it("TLS verification turned off loudly, and on again quietly", () => {
    const off = { gitlab: `${GITLAB}\n  enableSslVerification: false` };
    const changes = diff({ gitlab: GITLAB }, off);
    expect(changes.map((c) => c.kind)).toEqual(["tls_changed", "tls_changed", "tls_changed"]);
    expect(changes[0]!.detail).toMatch(
      /^TLS verification is turned OFF: GitLab will deliver for project hook on platform\/api/,
    );
    expect(changes.every((c) => c.attention === "turns TLS verification off")).toBe(true);
    const on = diff(off, { gitlab: `${GITLAB}\n  enableSslVerification: true` });
    expect(on.map((c) => c.attention)).toEqual([undefined, undefined, undefined]);
    // true is the default: saying it is no change.
    expect(diff({ gitlab: GITLAB }, { gitlab: `${GITLAB}\n  enableSslVerification: true` })).toEqual([]);
  });
});

describe("renames", () => {
  it("a name given to a connection replaces its resources, and says how to keep them", () => {
    const changes = diff(BASE, { ...BASE, gitlab: `${GITLAB}\n  name: gitlab-main` });
    expect(brief(changes)).toEqual([["connection_renamed", "sourcegraph-gitlab-gitlab-main"]]);
    expect(changes[0]!.connection).toBe("gitlab/gitlab-main");
    expect(changes[0]!.detail).toContain(
      "gitlab/gitlab.example.com is now gitlab/gitlab-main: Pulumi REPLACES its receiver (sourcegraph-gitlab-gitlab.example.com becomes sourcegraph-gitlab-gitlab-main",
    );
    expect(changes[0]!.detail).toContain("set name: gitlab.example.com on this connection");
    expect(changes[0]!.attention).toBeDefined();
  });

  it("a URL changed without a name renames too (the name comes from the URL): both are said", () => {
    const head = { gitlab: GITLAB.replace("gitlab.example.com", "git.example.com") };
    expect(brief(diff({ gitlab: GITLAB }, head))).toEqual([
      ["connection_renamed", "sourcegraph-gitlab-git.example.com"],
      ["url_changed", "sourcegraph-gitlab-git.example.com"],
    ]);
  });
});

describe("secrets, credentials and settings", () => {
  const secret = (cipher: string) => ({ gitlab: `${GITLAB}\n  secret:\n    secure: ${cipher}` });

  it("an encrypted secret that changed: said once, without its value", () => {
    const changes = diff(secret(CIPHER_A), secret(CIPHER_B));
    expect(changes).toEqual([
      {
        connection: "gitlab/gitlab.example.com",
        kind: "secret_changed",
        resource: "sourcegraph-gitlab-gitlab.example.com",
        detail:
          "the encrypted secret of gitlab/gitlab.example.com changed: its receiver and 3 hooks will get the new value",
      },
    ]);
    expect(diff(secret(CIPHER_A), secret(CIPHER_A))).toEqual([]);
  });

  it("a secret declared, one left to the receiver, and none at all", () => {
    expect(diff({ gitlab: GITLAB }, secret(CIPHER_A))[0]!.detail).toBe(
      "the secret of gitlab/gitlab.example.com is now declared, encrypted: its receiver and 3 hooks will get the new value",
    );
    expect(diff(secret(CIPHER_A), { gitlab: GITLAB })[0]!.detail).toMatch(
      /no longer declared: the receiver keeps/,
    );
    const none = diff(
      { bitbucketCloud: "- workspaces: [acme]" },
      { bitbucketCloud: "- workspaces: [acme]\n  secret: false" },
    );
    expect(none.map((c) => [c.kind, c.attention])).toEqual([["secret_changed", "unsigned deliveries"]]);
  });

  it("credentials: that they changed and where from, never their value", () => {
    const plain = { gitlab: `${GITLAB}\n  token: plain-token-value-1` };
    const changes = diff(plain, { gitlab: `${GITLAB}\n  token: plain-token-value-2` });
    expect(changes.map((c) => c.kind)).toEqual(["setting_changed"]);
    expect(changes[0]!.detail).toMatch(
      /^token changed \(now in plain text: encrypt it with pulumi config set --secret --path\)/,
    );
    expect(JSON.stringify(changes)).not.toMatch(/plain-token-value/);
    const token = (cipher: string) => ({ sourcegraph: `accessToken:\n  secure: ${cipher}`, gitlab: GITLAB });
    expect(diff(token(CIPHER_A), token(CIPHER_B))).toEqual([
      {
        connection: "sourcegraph",
        kind: "setting_changed",
        resource: "",
        detail:
          "sourcegraph.accessToken changed (or was encrypted again: ciphertexts differ on every pulumi config set): the receivers' calls use it; nothing is replaced",
      },
    ]);
  });

  it("plain settings, with their values; the Sourcegraph instance per receiver", () => {
    const base = {
      bitbucketCloud: "- workspaces: [acme]\n  description: old",
      sourcegraph: "endpoint: https://sg.example.com",
    };
    const head = {
      bitbucketCloud:
        "- workspaces: [acme]\n  description: new\n  receiverName: bbc\n  apiUrl: https://api.bitbucket.example.com/2.0",
      sourcegraph: "endpoint: https://sg2.example.com",
    };
    const changes = diff(base, head);
    expect(changes.map((c) => c.detail)).toEqual([
      "receiverName: (default) → bbc: the receiver is renamed in Sourcegraph (in place)",
      "apiUrl: (default) → https://api.bitbucket.example.com/2.0: its hook is REPLACED through the new API",
      "description: old → new",
      "sourcegraph.endpoint: https://sg.example.com → https://sg2.example.com: when that is another instance, the receiver is REPLACED there (new UUID and URL) and its hook delivers to its new URL",
    ]);
  });

  it("a config key encrypted as a whole: only that its ciphertext changed", () => {
    const whole = (cipher: string) => ({ sourcegraph: `secure: ${cipher}`, gitlab: GITLAB });
    expect(diff(whole(CIPHER_A), whole(CIPHER_B))).toEqual([
      {
        connection: "sourcegraph",
        kind: "setting_changed",
        resource: "",
        detail:
          "the encrypted value of the config key sourcegraph changed; what it declares cannot be read here (run pulumi preview)",
      },
    ]);
  });
});

describe("the Markdown comment", () => {
  it("escapes what the declaration says: a project path cannot inject Markdown, HTML or a table cell", () => {
    const base = stackFile("md-a", { gitlab: "- projects: [platform/web]" });
    const head = stackFile("md-b", { gitlab: '- projects: [platform/web, "x|<img src=y>*`z`"]' });
    const markdown = runDiff({ base, head, format: "markdown", env: ENV }).output;
    const row = markdown.split("\n").find((l) => l.startsWith("| hook added |"))!;
    expect(row).toBe(
      "| hook added | `` sourcegraph-gitlab-gitlab.com-project-x\\|<img src=y>*`z` `` | project hook on x\\|&lt;img src=y&gt;\\*\\`z\\` is created, delivering to its receiver (3 events: `merge_requests_events`, `pipeline_events`, `push_events`) |",
    );
    // Outside code spans (rendered literally), no tag survives.
    expect(markdown.replace(/(`+)[^`][\s\S]*?\1/g, "")).not.toMatch(/<img/);
  });
});
