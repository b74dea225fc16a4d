// One table of stack files and the problems the root program finds in each, shared by the tests
// that run it through the root program under mocks (mocks/check.test.ts) and through the built
// `sg-webhooks check` (cli/check.test.ts): both must find exactly these, all at once.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse } from "yaml";

export const PROJECT = "sourcegraph-webhooks";

/** The plain text behind each ciphertext of the table: what the engine hands the program. */
export const DECRYPTED: Readonly<Record<string, string>> = {
  "v1:Y2FzZS10b2tlbg==:dG9rZW4tY2lwaGVydGV4dA==": "fake-token-0123456789abcdef",
  "v1:Y2FzZS1wYXNz:cGFzc3dvcmQtY2lwaGVydGV4dA==": "fake-password-0123456789",
  "v1:Y2FzZS1zZWNyZXQ=:c2VjcmV0LWNpcGhlcnRleHQ=": "fake-shared-secret-0123456789abcdef",
  "v1:Y2FzZS1zZw==:c291cmNlZ3JhcGgtb2JqZWN0": JSON.stringify({
    endpoint: "https://sourcegraph.example.com",
    accessToken: "fake-sg-token-0123456789abcdef",
  }),
};

export interface StackFileCase {
  readonly name: string;
  /** The stack file, as committed (encrypted values as `secure:` with a ciphertext of DECRYPTED). */
  readonly yaml: string;
  /** The environment the program and check run in (the component's fallbacks read it). */
  readonly env?: Readonly<Record<string, string>>;
  /** Every problem, as the root program's ConfigError lists them. */
  readonly problems: readonly string[];
}

const stack = (body: string): string => `config:\n${body}`;
const VALID_KEYS =
  "sourcegraph-webhooks:sourcegraph, sourcegraph-webhooks:github, sourcegraph-webhooks:gitlab, sourcegraph-webhooks:bitbucketServer, sourcegraph-webhooks:bitbucketCloud, sourcegraph-webhooks:relay";

export const CASES: readonly StackFileCase[] = [
  {
    name: "a valid declaration of every code host, with encrypted credentials",
    yaml: stack(`  sourcegraph-webhooks:sourcegraph:
    endpoint: https://sourcegraph.example.com
    accessToken:
      secure: v1:Y2FzZS10b2tlbg==:dG9rZW4tY2lwaGVydGV4dA==
  sourcegraph-webhooks:github:
    - organizations: [acme]
      repositories: [acme/web]
      token:
        secure: v1:Y2FzZS10b2tlbg==:dG9rZW4tY2lwaGVydGV4dA==
  sourcegraph-webhooks:gitlab:
    - url: https://gitlab.example.com
      projects: [platform/api, 42]
      groups: [infrastructure]
      secret:
        secure: v1:Y2FzZS1zZWNyZXQ=:c2VjcmV0LWNpcGhlcnRleHQ=
  sourcegraph-webhooks:bitbucketServer:
    - url: https://bitbucket.example.com
      username: admin
      password:
        secure: v1:Y2FzZS1wYXNz:cGFzc3dvcmQtY2lwaGVydGV4dA==
  sourcegraph-webhooks:bitbucketCloud:
    - workspaces: [acme]
      features: [push]
  github:owner: acme
`),
    problems: [],
  },
  {
    name: "a whole config key encrypted",
    yaml: stack(`  sourcegraph-webhooks:sourcegraph:
    secure: v1:Y2FzZS1zZw==:c291cmNlZ3JhcGgtb2JqZWN0
  sourcegraph-webhooks:gitlab:
    - projects: [1]
`),
    problems: [],
  },
  {
    name: "an encrypted token counts as present beside a username and password",
    yaml: stack(`  sourcegraph-webhooks:bitbucketServer:
    - url: https://bitbucket.example.com
      token:
        secure: v1:Y2FzZS10b2tlbg==:dG9rZW4tY2lwaGVydGV4dA==
      username: admin
      password:
        secure: v1:Y2FzZS1wYXNz:cGFzc3dvcmQtY2lwaGVydGV4dA==
`),
    problems: [
      'sourcegraph-webhooks:bitbucketServer[0]: set either "token" or "username" + "password", not both',
    ],
  },
  {
    name: "an unknown key and a list given as text",
    yaml: stack(`  sourcegraph-webhooks:gitlb:
    - projects: [1]
  sourcegraph-webhooks:gitlab: gitlab.example.com
`),
    problems: [
      `sourcegraph-webhooks:gitlb: unknown config key; valid: ${VALID_KEYS}`,
      "sourcegraph-webhooks:gitlab: expected a list (YAML), got plain text (not shown: it may be a secret)",
    ],
  },
  {
    name: "malformed fields in three keys and the component's problems in the connections that parse",
    yaml: stack(`  sourcegraph-webhooks:github:
    - organizations: [1]
  sourcegraph-webhooks:gitlab:
    - projects: [platform/web, platform/web]
    - url: https://gitlab.other.example.com
      projects: [""]
    - url: https://gitlab.third.example.com
      groups: [infrastructure]
      features: [permissions]
  sourcegraph-webhooks:bitbucketServer:
    - url: https://bitbucket.example.com
      scopes: [everything]
  sourcegraph-webhooks:relay:
    publicUrl: https://relay.example.com/?q=1
`),
    problems: [
      "sourcegraph-webhooks:github[0].organizations[0]: expected a string",
      "sourcegraph-webhooks:gitlab[1].projects[0]: must not be empty",
      'sourcegraph-webhooks:gitlab[0].projects: "platform/web" is listed twice',
      'sourcegraph-webhooks:gitlab[2].features: unknown feature "permissions"; valid: batchChanges, push',
      'sourcegraph-webhooks:bitbucketServer[0].scopes: invalid scope "everything"; valid: global, project:<project name>, repository:<PROJECT KEY>/<slug> (only global receives pull request events)',
      'sourcegraph-webhooks:relay.publicUrl: "https://relay.example.com/?q=1" must not have a query or fragment',
    ],
  },
  {
    name: "events the code host does not know, and features with events",
    yaml: stack(`  sourcegraph-webhooks:bitbucketCloud:
    - workspaces: [acme]
      events: ["repo:pushed"]
    - url: https://bitbucket.example.org
      workspaces: [acme]
      features: [push]
      events: ["repo:push"]
`),
    problems: [
      'sourcegraph-webhooks:bitbucketCloud[0].events: unknown bitbucketCloud event "repo:pushed"; valid: repo:push, repo:fork, repo:updated, repo:transfer, repo:created, repo:deleted, repo:imported, repo:commit_comment_created, repo:commit_status_created, repo:commit_status_updated, pullrequest:created, pullrequest:updated, pullrequest:push, pullrequest:approved, pullrequest:unapproved, pullrequest:fulfilled, pullrequest:rejected, pullrequest:changes_request_created, pullrequest:changes_request_removed, pullrequest:comment_created, pullrequest:comment_updated, pullrequest:comment_deleted, pullrequest:comment_resolved, pullrequest:comment_reopened, issue:created, issue:updated, issue:comment_created, project:updated',
      'sourcegraph-webhooks:bitbucketCloud[1]: set either "features" or "events", not both',
    ],
  },
  {
    name: "a Bitbucket Server connection without a URL, and BITBUCKET_SERVER_URL unset",
    yaml: stack(`  sourcegraph-webhooks:bitbucketServer:
    - scopes: [global]
`),
    problems: [
      "sourcegraph-webhooks:bitbucketServer[0].url: required: the Bitbucket Server URL such as https://bitbucket.example.com (or set BITBUCKET_SERVER_URL)",
    ],
  },
  {
    name: "the same connection with BITBUCKET_SERVER_URL set",
    yaml: stack(`  sourcegraph-webhooks:bitbucketServer:
    - scopes: [global]
`),
    env: { BITBUCKET_SERVER_URL: "https://bitbucket.example.com" },
    problems: [],
  },
  {
    name: "two GitLab connections that GITLAB_URL makes the same",
    yaml: stack(`  sourcegraph-webhooks:gitlab:
    - projects: [1]
    - url: https://gitlab.example.com
      projects: [2]
`),
    env: { GITLAB_URL: "https://gitlab.example.com" },
    problems: [
      'sourcegraph-webhooks:gitlab[1]: resolves to the connection name "gitlab.example.com", as gitlab[0] does; give one of them a distinct "name"',
    ],
  },
  {
    name: "no code host connection",
    yaml: stack(`  sourcegraph-webhooks:sourcegraph:
    endpoint: https://sourcegraph.example.com
`),
    problems: [
      "sourcegraph-webhooks: declares no code host connection; set at least one of github, gitlab, bitbucketServer, bitbucketCloud (set them with pulumi config set --path)",
    ],
  },
];

/** The environment variables the component reads as fallbacks: each case sets its own, and no other. */
export const FALLBACK_VARIABLES = ["GITLAB_URL", "BITBUCKET_SERVER_URL", "SRC_ENDPOINT"] as const;

/** The config of a case as the engine hands it to the program: decrypted, every value a string. */
export function engineConfig(c: StackFileCase): { config: Record<string, string>; secretKeys: string[] } {
  const doc = parse(c.yaml) as { config: Record<string, unknown> };
  const secretKeys: string[] = [];
  const decrypt = (value: unknown, key: string): unknown => {
    if (value && typeof value === "object" && "secure" in value) {
      secretKeys.push(key);
      const plain = DECRYPTED[(value as { secure: string }).secure];
      if (plain === undefined) throw new Error(`no plain text for a ciphertext of "${c.name}"`);
      return plain;
    }
    if (Array.isArray(value)) return value.map((v) => decrypt(v, key));
    if (value && typeof value === "object")
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, decrypt(v, key)]));
    return value;
  };
  const config = Object.fromEntries(
    Object.entries(doc.config).map(([key, value]) => {
      const plain = decrypt(value, key);
      return [key, typeof plain === "string" ? plain : JSON.stringify(plain)];
    }),
  );
  return { config, secretKeys: [...new Set(secretKeys)] };
}

/** Writes each case to `Pulumi.case<N>.yaml` in a new directory with its Pulumi.yaml; the paths. */
export function writeCases(cases: readonly StackFileCase[]): { dir: string; files: string[] } {
  const dir = mkdtempSync(join(tmpdir(), "sg-check-cases-"));
  writeFileSync(join(dir, "Pulumi.yaml"), `name: ${PROJECT}\nruntime: nodejs\n`);
  const files = cases.map((c, i) => {
    const file = join(dir, `Pulumi.case${i}.yaml`);
    writeFileSync(file, c.yaml);
    return file;
  });
  return { dir, files };
}
