// Proves the GitOps example's review works as its pipelines run it: ci/review.sh writes check and diff of a real git change as one comment, and the GitHub and GitLab posting code edits its own comment in place (never another's) and finds the pull request from GitHub's record, not the artifact.
import { execFile } from "node:child_process";
import {
  chmodSync,
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { createServer, type Server } from "node:http";
import { createRequire } from "node:module";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT } from "./markdown";
import { GITOPS, githubWorkflows, type Mapping } from "./pipelines";

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function run(
  file: string,
  args: string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<Run> {
  return new Promise((resolve) => {
    execFile(file, args, { ...options, encoding: "utf8", timeout: 60_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

describe("ci/review.sh on a git change", () => {
  let repo: string;
  const git = (...args: string[]) =>
    run("git", ["-c", "user.name=t", "-c", "user.email=t@example.com", ...args], { cwd: repo });
  const review = (base: string) =>
    run("bash", ["ci/review.sh", base], { cwd: repo, env: { PATH: process.env.PATH } });
  const comment = () => readFileSync(path.join(repo, "review/comment.md"), "utf8");

  beforeAll(async () => {
    repo = mkdtempSync(path.join(tmpdir(), "sgw-gitops-"));
    mkdirSync(path.join(repo, "ci"));
    for (const file of ["Pulumi.yaml", "Pulumi.prod.yaml", "ci/review.sh"])
      copyFileSync(path.join(ROOT, GITOPS, file), path.join(repo, file));
    // What npm ci puts there: the package's sg-webhooks (here, this checkout's build).
    const bin = path.join(repo, "node_modules/.bin");
    mkdirSync(bin, { recursive: true });
    writeFileSync(
      path.join(bin, "sg-webhooks"),
      `#!/bin/sh\nexec "${process.execPath}" "${path.join(ROOT, "dist/src/cli/main.js")}" "$@"\n`,
    );
    chmodSync(path.join(bin, "sg-webhooks"), 0o755);
    writeFileSync(path.join(repo, ".gitignore"), "node_modules/\nreview/\n");
    await git("init", "-q");
    await git("add", ".");
    await git("commit", "-qm", "base");
  });

  afterAll(() => {
    if (repo) rmSync(repo, { recursive: true, force: true });
  });

  it("a valid change: check passes, the diff says what changes, exit 0", async () => {
    const base = (await git("rev-parse", "HEAD")).stdout.trim();
    const file = path.join(repo, "Pulumi.prod.yaml");
    writeFileSync(
      file,
      readFileSync(file, "utf8").replace(
        "        - platform/web\n",
        "        - platform/web\n        - platform/docs\n",
      ),
    );
    await git("commit", "-qam", "a project hook for platform/docs");
    const result = await review(base);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    const text = comment();
    expect(
      text.startsWith("## Webhook review\n\n`sg-webhooks check`: no problems in `Pulumi.prod.yaml`.\n\n"),
    ).toBe(true);
    // diff's own Markdown, which names the file and the base.
    expect(text).toMatch(
      /### Webhook changes in `Pulumi\.prod\.yaml`\n\n.*compared with `[0-9a-f]{40}:Pulumi\.prod\.yaml`/,
    );
    expect(text).toMatch(/hook added .*platform\/docs/);
    expect(result.stdout).toBe(text);
  });

  it("a new stack file: checked, and said to create everything it declares", async () => {
    const base = (await git("rev-parse", "HEAD")).stdout.trim();
    copyFileSync(path.join(repo, "Pulumi.prod.yaml"), path.join(repo, "Pulumi.staging.yaml"));
    await git("add", "Pulumi.staging.yaml");
    await git("commit", "-qm", "staging");
    const result = await review(base);
    expect(result.code).toBe(0);
    const text = comment();
    expect(text).toContain("`sg-webhooks check`: no problems in `Pulumi.prod.yaml`, `Pulumi.staging.yaml`.");
    expect(text).toContain(
      "### `Pulumi.staging.yaml`\n\nA new stack file: every receiver and hook it declares will be created.",
    );
    // The other file is still reviewed: unchanged since the base, and diff says so.
    expect(text).toContain("### Webhook changes in `Pulumi.prod.yaml`");
  });

  it("a mistake: check's message in the comment, no diff of a declaration that does not hold, exit 1", async () => {
    const base = (await git("rev-parse", "HEAD")).stdout.trim();
    const file = path.join(repo, "Pulumi.staging.yaml");
    writeFileSync(
      file,
      readFileSync(file, "utf8").replace("sourcegraph-webhooks:gitlab:", "sourcegraph-webhooks:gitlub:"),
    );
    await git("commit", "-qam", "a typo");
    const result = await review(base);
    expect(result.code).toBe(1);
    const text = comment();
    expect(text).toContain("`sg-webhooks check`: no problems in `Pulumi.prod.yaml`.");
    expect(text).toContain("### `Pulumi.staging.yaml`\n\n`sg-webhooks check` found problems");
    expect(text).toMatch(/sourcegraph-webhooks:gitlub: unknown config key/);
    expect(text).toContain("The change is described once check passes.");
    expect(text).not.toContain("Webhook changes in `Pulumi.staging.yaml`");
  });

  it("a base that is not in the clone: exit 2 and what to do", async () => {
    const result = await review("0123456789abcdef0123456789abcdef01234567");
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/is not a commit of this clone: fetch it/);
  });
});

/** The posting script of "Webhooks: review comment", run as github-script runs it. */
function commentScript(): string {
  const workflow = githubWorkflows().find((w) => w.name === "Webhooks: review comment")!;
  const steps = workflow.jobs[0]!.definition.steps as Mapping[];
  return String(
    (steps.find((s) => String(s.uses).startsWith("actions/github-script@"))!.with as Mapping).script,
  );
}

const MARKER = "<!-- sg-webhooks-review -->";

interface Comment {
  id: number;
  body: string;
  user: { login: string };
}

/** GitHub's REST calls the script makes, over a repository with these pull requests and comments. */
function fakeGitHub(pulls: Mapping[], comments: Comment[]) {
  const writes: string[] = [];
  const github = {
    paginate: async (method: (p: Mapping) => Promise<{ data: unknown[] }>, params: Mapping) =>
      (await method(params)).data,
    rest: {
      pulls: {
        // GitHub filters by `head` ("owner:branch") and state.
        list: async (p: Mapping) => ({
          data: pulls.filter((pr) => {
            const head = pr.head as { ref: string; repo: { owner: { login: string } } };
            return p.state === pr.state && p.head === `${head.repo.owner.login}:${head.ref}`;
          }),
        }),
      },
      issues: {
        listComments: async (p: Mapping) => ({ data: p.issue_number === 7 ? comments : [] }),
        updateComment: async (p: Mapping) => {
          writes.push(`update ${p.comment_id}`);
          comments.find((c) => c.id === p.comment_id)!.body = String(p.body);
        },
        createComment: async (p: Mapping) => {
          writes.push(`create on #${p.issue_number}`);
          const created = {
            id: 100 + comments.length,
            body: String(p.body),
            user: { login: "github-actions[bot]" },
          };
          comments.push(created);
          return {
            data: { ...created, html_url: `https://github.com/acme/webhooks/pull/${p.issue_number}` },
          };
        },
      },
    },
  };
  return { github, writes, comments };
}

describe("GitHub: the review comment", () => {
  let dir: string;
  const pull = (number: number, sha: string, owner = "contributor", ref = "add-hook") => ({
    number,
    state: "open",
    head: { sha, ref, repo: { owner: { login: owner } } },
  });
  const PULLS = [
    pull(7, "abc123"),
    pull(8, "abc123", "someone-else"),
    pull(9, "def456", "contributor", "other"),
  ];

  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), "sgw-comment-"));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  async function post(review: string, fake: ReturnType<typeof fakeGitHub>, headSha = "abc123") {
    writeFileSync(path.join(dir, "comment.md"), review);
    const info: string[] = [];
    const context = {
      repo: { owner: "acme", repo: "webhooks" },
      payload: {
        workflow_run: {
          head_sha: headSha,
          head_branch: "add-hook",
          head_repository: { owner: { login: "contributor" } },
        },
      },
    };
    const AsyncFunction = Object.getPrototypeOf(async () => {}).constructor as new (
      ...args: string[]
    ) => (...values: unknown[]) => Promise<void>;
    const previous = process.env.REVIEW_FILE;
    process.env.REVIEW_FILE = path.join(dir, "comment.md");
    try {
      await new AsyncFunction("require", "github", "context", "core", commentScript())(
        createRequire(__filename),
        fake.github,
        context,
        { info: (m: string) => info.push(m) },
      );
    } finally {
      process.env.REVIEW_FILE = previous;
    }
    return info;
  }

  it("posts one comment on the pull request whose head is the reviewed commit, then edits it on the next push", async () => {
    const fake = fakeGitHub(PULLS, []);
    await post("## Webhook changes\n\nfirst", fake);
    expect(fake.writes).toEqual(["create on #7"]);
    expect(fake.comments[0]!.body).toBe(`${MARKER}\n## Webhook changes\n\nfirst`);
    await post("## Webhook changes\n\nsecond", fake);
    expect(fake.writes).toEqual(["create on #7", "update 100"]);
    expect(fake.comments).toHaveLength(1);
    expect(fake.comments[0]!.body).toBe(`${MARKER}\n## Webhook changes\n\nsecond`);
  });

  it("never edits a comment someone else wrote with the marker in it", async () => {
    const theirs = { id: 1, body: `${MARKER}\nlooks like a review`, user: { login: "mallory" } };
    const fake = fakeGitHub(PULLS, [theirs]);
    await post("the review", fake);
    expect(fake.writes).toEqual(["create on #7"]);
    expect(theirs.body).toBe(`${MARKER}\nlooks like a review`);
  });

  it("posts nothing when no open pull request has the reviewed commit as its head (pushed again since)", async () => {
    const fake = fakeGitHub(PULLS, []);
    const info = await post("stale review", fake, "0ld5ha");
    expect(fake.writes).toEqual([]);
    expect(info.join("\n")).toMatch(/nothing to post/);
  });

  it("keeps the marker first and only once, and cuts a review GitHub would refuse", async () => {
    const fake = fakeGitHub(PULLS, []);
    await post(`${MARKER}\n${"x".repeat(70_000)}`, fake);
    const body = fake.comments[0]!.body;
    expect(body.startsWith(MARKER)).toBe(true);
    expect(body.split(MARKER)).toHaveLength(2);
    expect(body.length).toBeLessThan(65_536);
    expect(body).toMatch(/cut at 60000 characters/);
  });
});

interface Note {
  id: number;
  body: string;
  author: { id: number };
}

/** GitLab's notes API for merge request !5 of project 123, as the note script uses it. */
function startGitLab(notes: Note[], users: Record<string, number>): Promise<{ server: Server; api: string }> {
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://x");
    const me = users[String(req.headers["private-token"])];
    const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, { "content-type": "application/json", ...headers });
      res.end(JSON.stringify(body));
    };
    if (me === undefined) return send(401, { message: "401 Unauthorized" });
    if (url.pathname === "/api/v4/user") return send(200, { id: me, username: "project_123_bot" });
    const m = /^\/api\/v4\/projects\/123\/merge_requests\/5\/notes(?:\/(\d+))?$/.exec(url.pathname);
    if (!m) return send(404, { message: "404 Not found" });
    let raw = "";
    req.on("data", (d) => {
      raw += d;
    });
    req.on("end", () => {
      if (req.method === "GET") {
        const perPage = Number(url.searchParams.get("per_page") ?? 20);
        const page = Number(url.searchParams.get("page") ?? 1);
        const more = notes.length > page * perPage;
        return send(200, notes.slice((page - 1) * perPage, page * perPage), {
          "x-next-page": more ? String(page + 1) : "",
        });
      }
      const { body } = JSON.parse(raw) as { body: string };
      if (req.method === "POST") {
        const note = { id: 1000 + notes.length, body, author: { id: me } };
        notes.push(note);
        return send(201, note);
      }
      const note = notes.find((n) => n.id === Number(m[1]));
      if (req.method !== "PUT" || !note) return send(404, { message: "404 Not found" });
      if (note.author.id !== me) return send(403, { message: "403 Forbidden" });
      note.body = body;
      return send(200, note);
    });
  });
  return new Promise((resolve) =>
    server.listen(0, "127.0.0.1", () =>
      resolve({ server, api: `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v4` }),
    ),
  );
}

interface NoteScript {
  upsertNote(options: Mapping): Promise<{ action: string; id: number }>;
  MARKER: string;
}

describe("GitLab: the review note", () => {
  const SCRIPT = path.join(ROOT, GITOPS, "ci/merge-request-note.mjs");
  let note: NoteScript;
  beforeAll(async () => {
    note = (await import(SCRIPT)) as NoteScript;
  });

  const upsert = (api: string, review: string, token = "bot-token") =>
    note.upsertNote({ api, project: "123", mergeRequest: "5", token, review });

  it("creates one note, then edits that note on the next push, found past the first page", async () => {
    const others = Array.from({ length: 150 }, (_, i) => ({
      id: i + 1,
      body: `comment ${i}`,
      author: { id: 7 },
    }));
    const notes: Note[] = [...others];
    const { server, api } = await startGitLab(notes, { "bot-token": 42 });
    try {
      expect(note.MARKER).toBe(MARKER);
      expect(await upsert(api, "first")).toEqual({ action: "created", id: 1150 });
      expect(await upsert(api, "second")).toEqual({ action: "updated", id: 1150 });
      expect(notes.filter((n) => n.author.id === 42)).toEqual([
        { id: 1150, body: `${MARKER}\nsecond`, author: { id: 42 } },
      ]);
    } finally {
      server.close();
    }
  });

  it("leaves a note someone else wrote with the marker alone", async () => {
    const notes: Note[] = [{ id: 1, body: `${MARKER}\nnot the bot's`, author: { id: 7 } }];
    const { server, api } = await startGitLab(notes, { "bot-token": 42 });
    try {
      expect((await upsert(api, "review")).action).toBe("created");
      expect(notes[0]!.body).toBe(`${MARKER}\nnot the bot's`);
    } finally {
      server.close();
    }
  });

  it("a refused token: the error names the fix and never the token", async () => {
    const { server, api } = await startGitLab([], { "bot-token": 42 });
    try {
      const err = await upsert(api, "review", "wrong-token-0123").catch((e: Error) => e);
      expect(String(err)).toMatch(
        /GitLab answered 401 to GET \/user: SG_WEBHOOKS_NOTE_TOKEN is not a valid token/,
      );
      expect(String(err)).not.toContain("wrong-token-0123");
    } finally {
      server.close();
    }
  });

  it("as the pipeline runs it: from GitLab's variables, and a clear usage error without them", async () => {
    const notes: Note[] = [];
    const { server, api } = await startGitLab(notes, { "bot-token": 42 });
    const file = path.join(mkdtempSync(path.join(tmpdir(), "sgw-note-")), "comment.md");
    writeFileSync(file, "## Webhook changes\n");
    try {
      const env = {
        PATH: process.env.PATH,
        CI_API_V4_URL: api,
        CI_MERGE_REQUEST_PROJECT_ID: "123",
        CI_MERGE_REQUEST_IID: "5",
        SG_WEBHOOKS_NOTE_TOKEN: "bot-token",
      };
      const ok = await run(process.execPath, [SCRIPT, file], { env });
      expect(ok).toEqual({ code: 0, stdout: "merge-request-note: created note 1000 on !5\n", stderr: "" });
      const missing = await run(process.execPath, [SCRIPT, file], {
        env: { ...env, SG_WEBHOOKS_NOTE_TOKEN: "" },
      });
      expect(missing.code).toBe(2);
      expect(missing.stderr).toMatch(/SG_WEBHOOKS_NOTE_TOKEN not set: run it in a merge request pipeline/);
      const noFile = await run(process.execPath, [SCRIPT, `${file}.absent`], { env });
      expect(noFile.code).toBe(2);
      expect(noFile.stderr).toMatch(/no review at .*: the review job did not write one/);
      expect(notes).toHaveLength(1);
    } finally {
      server.close();
      rmSync(path.dirname(file), { recursive: true, force: true });
    }
  });
});
