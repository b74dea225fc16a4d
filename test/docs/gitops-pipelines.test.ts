// Proves the GitOps example's pipelines (examples/gitops/) are sound without running them: YAML parses, every sg-webhooks and pulumi command is real, no job that runs pull request code holds a secret or a write token, the comment is posted without running the pull request, and pulumi never uses a local backend.
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { readDeclaration } from "../../src/program/config";
import { ROOT } from "./markdown";
import {
  commandsOf,
  GITOPS,
  githubWorkflows,
  gitlabJobs,
  type Job,
  type Mapping,
  readYaml,
  yamlFiles,
} from "./pipelines";
import {
  bashSyntax,
  pulumiProblems,
  sgWebhooksArgs,
  sgWebhooksProblems,
  simpleCommands,
} from "./shell-commands";

const workflows = githubWorkflows();
const githubJobs = workflows.flatMap((w) => w.jobs);
const gitlab = gitlabJobs();
/** GitLab's real jobs; `.name` ones are templates that others extend. */
const gitlabRealJobs = gitlab.jobs.filter((j) => !j.name.startsWith("."));
const allJobs = [...githubJobs, ...gitlab.jobs];

const workflow = (name: string) => {
  const found = workflows.find((w) => w.name === name);
  if (!found) throw new Error(`no workflow named "${name}" in ${GITOPS}/.github/workflows`);
  return found;
};
const gitlabJob = (name: string) => {
  const found = gitlab.jobs.find((j) => j.name === name);
  if (!found) throw new Error(`no job ${name} in ${GITOPS}/.gitlab-ci.yml`);
  return found;
};
const mapping = (value: unknown): Mapping => (value ?? {}) as Mapping;
const jobText = (job: Job) => JSON.stringify(job.definition);
const runs = (job: Job, command: string) =>
  commandsOf([job]).some(({ words }) => words.slice(0, command.split(" ").length).join(" ") === command);
const sgSubcommands = (jobs: Job[]) =>
  new Set(commandsOf(jobs).flatMap(({ words }) => sgWebhooksArgs(words)?.slice(0, 1) ?? []));

/** A GitHub Actions expression, as written in a workflow. */
const expr = (expression: string) => `\${{ ${expression} }}`;
/** GitHub's test that a pull request comes from a branch of this repository, not a fork. */
const SAME_REPOSITORY = "github.event.pull_request.head.repo.full_name == github.repository";

describe("examples/gitops/: every file parses and every command is real", () => {
  it("every YAML file parses, without warnings", () => {
    const files = yamlFiles();
    expect(files.length).toBeGreaterThanOrEqual(6);
    expect(files.flatMap((f) => readYaml(f).problems)).toEqual([]);
  });

  it("every script a job runs passes bash -n", async () => {
    const scripts = allJobs.flatMap((j) => j.scripts);
    expect(scripts.some((s) => s.where.startsWith(`${GITOPS}/ci/review.sh`))).toBe(true);
    const verdicts = await Promise.all(scripts.map((s) => bashSyntax(s.text)));
    expect(scripts.flatMap((s, i) => (verdicts[i] ? [`${s.where}: ${verdicts[i]}`] : []))).toEqual([]);
  });

  it("every sg-webhooks invocation names a real command and real flags (the CLI's own parser)", async () => {
    expect([...sgSubcommands(githubJobs)].sort()).toEqual(["check", "diff", "doctor"]);
    expect([...sgSubcommands(gitlabRealJobs)].sort()).toEqual(["check", "diff", "doctor"]);
    const { checked, problems } = await sgWebhooksProblems(commandsOf(allJobs));
    expect(checked).toBeGreaterThanOrEqual(4);
    expect(problems).toEqual([]);
  });

  it("the review diffs each stack file against the base, as Markdown", () => {
    const diffs = commandsOf(allJobs).flatMap(({ words }) => {
      const args = sgWebhooksArgs(words);
      return args?.[0] === "diff" ? [args.join(" ")] : [];
    });
    expect(diffs).toEqual([`diff --base-ref $base --head $file --format markdown`]);
  });

  it("every pulumi invocation is a Pulumi CLI command with its flags; PRs preview, merges run up --refresh --yes", () => {
    const { checked, problems } = pulumiProblems(commandsOf(allJobs));
    expect(checked).toBeGreaterThanOrEqual(4);
    expect(problems).toEqual([]);
    for (const jobs of [githubJobs, gitlabRealJobs]) {
      const pulumi = commandsOf(jobs).filter(({ words }) => words[0] === "pulumi");
      expect(pulumi.map(({ words }) => words[1]).sort()).toEqual(["preview", "up"]);
      const up = pulumi.find(({ words }) => words[1] === "up")!.words;
      expect(up).toEqual(expect.arrayContaining(["--refresh", "--yes", "--stack"]));
    }
  });
});

describe("GitHub: what runs a pull request's code, and with what", () => {
  const review = workflow("Webhooks: review");
  const comment = workflow("Webhooks: review comment");
  const apply = workflow("Webhooks: apply");

  it("no workflow runs on pull_request_target, and every workflow starts from no permission", () => {
    for (const w of workflows) {
      expect(Object.keys(w.on), w.file).not.toContain("pull_request_target");
      expect(mapping(w.content).permissions, w.file).toEqual({});
    }
    expect(Object.keys(review.on)).toEqual(["pull_request"]);
  });

  it("no job holds a write permission but the comment's, and that one only on pull requests", () => {
    const writes = githubJobs.flatMap((job) =>
      Object.entries(mapping(job.definition.permissions))
        .filter(([, level]) => level === "write")
        .map(([scope]) => `${job.file}: ${job.name}: ${scope}`),
    );
    expect(writes).toEqual([`${comment.file}: comment: pull-requests`]);
  });

  it("a job that may run a fork's code holds no secret; one that holds secrets runs only for this repository's branches, from an environment", () => {
    for (const job of review.jobs) {
      const guarded = String(job.definition.if ?? "").includes(SAME_REPOSITORY);
      if (!guarded) {
        expect(jobText(job), `${job.name} runs for forks`).not.toMatch(/secrets\.|github\.token|environment/);
        expect(job.definition.environment, job.name).toBeUndefined();
      } else {
        expect(job.definition.environment, job.name).toBeTypeOf("string");
      }
    }
    expect(review.jobs.map((j) => j.name)).toEqual(["review", "preview"]);
    expect(runs(review.jobs[0]!, "bash ci/review.sh")).toBe(true);
    expect(review.jobs[1]!.definition.if).toBe(SAME_REPOSITORY);
    expect(review.jobs[1]!.definition.needs).toBe("review");
  });

  it("no run: script holds an expression: values reach the shell through env:, never spliced into its text", () => {
    const spliced = githubJobs.flatMap((j) => j.scripts).filter((s) => s.text.includes(expr("").slice(0, 3)));
    expect(spliced.map((s) => s.where)).toEqual([]);
  });

  it("checkouts leave no token in .git/config for the code that runs after them", () => {
    for (const job of githubJobs)
      for (const step of (job.definition.steps as Mapping[]) ?? [])
        if (String(step.uses ?? "").startsWith("actions/checkout@"))
          expect(mapping(step.with)["persist-credentials"], `${job.file}: ${job.name}`).toBe(false);
  });

  it("the comment is posted by a workflow_run of the review that runs nothing of the pull request", () => {
    expect(mapping(comment.on.workflow_run)).toEqual({ workflows: [review.name], types: ["completed"] });
    expect(comment.jobs).toHaveLength(1);
    const job = comment.jobs[0]!;
    expect(job.definition.permissions).toEqual({ actions: "read", "pull-requests": "write" });
    const steps = job.definition.steps as Mapping[];
    expect(
      steps.filter((s) => s.run !== undefined || String(s.uses).startsWith("actions/checkout@")),
    ).toEqual([]);
    expect(steps.map((s) => String(s.uses).split("@")[0])).toEqual([
      "actions/download-artifact",
      "actions/github-script",
    ]);
    // It downloads what the review uploaded, from the run that triggered it.
    const upload = (review.jobs[0]!.definition.steps as Mapping[]).find((s) =>
      String(s.uses).startsWith("actions/upload-artifact@"),
    )!;
    const download = mapping(steps[0]!.with);
    expect(download.name).toBe(mapping(upload.with).name);
    expect(download["run-id"]).toBe(expr("github.event.workflow_run.id"));
    // The script reads the review as text: it loads no module of the workspace and evaluates nothing.
    const script = String(mapping(steps[1]!.with).script);
    expect(script).not.toMatch(/\beval\(|new Function|require\((?!"fs"\))|GITHUB_WORKSPACE|exec\./);
    expect(String(job.definition.if)).toContain("github.event.workflow_run.event == 'pull_request'");
  });

  it("the deploying job runs on the default branch only, one update of a stack at a time, from an environment", () => {
    expect(Object.keys(apply.on).sort()).toEqual(["push", "workflow_dispatch"]);
    expect(mapping(apply.on.push)).toEqual({ branches: ["main"] });
    const job = apply.jobs[0]!;
    expect(job.definition.environment).toBe("webhooks-production");
    expect(job.definition.concurrency).toEqual({
      group: `webhooks-apply-${expr("matrix.stack")}`,
      "cancel-in-progress": false,
    });
    expect(runs(job, "pulumi up")).toBe(true);
    expect(runs(job, "sg-webhooks doctor")).toBe(true);
  });

  it("every action is pinned to a commit, with its version in a comment", () => {
    const uses = workflows.flatMap((w) =>
      w.text
        .split("\n")
        .flatMap((line, i) => (/^\s*(- )?uses:/.test(line) ? [`${w.file}:${i + 1}: ${line.trim()}`] : [])),
    );
    expect(uses.length).toBeGreaterThanOrEqual(9);
    expect(uses.filter((u) => !/uses: [\w.-]+\/[\w.-]+@[0-9a-f]{40} # v\d+\.\d+\.\d+$/.test(u))).toEqual([]);
  });
});

describe("GitLab: what runs a merge request's code, and with what", () => {
  it("the review uses no credential; the note job runs only with its token, and nothing but node", () => {
    const review = gitlabJob("review");
    expect(review.definition.environment).toBeUndefined();
    expect(runs(review, "bash ci/review.sh")).toBe(true);
    expect(jobText(review)).not.toMatch(/TOKEN|PASSPHRASE|PULUMI_BACKEND_URL/);
    const note = gitlabJob("review-note");
    expect(note.definition.rules).toEqual([
      { if: '$CI_PIPELINE_SOURCE == "merge_request_event" && $SG_WEBHOOKS_NOTE_TOKEN', when: "always" },
    ]);
    expect(note.definition.needs).toEqual(["review"]);
    expect(commandsOf([note]).map(({ words }) => words.join(" "))).toEqual([
      "node ci/merge-request-note.mjs review/comment.md",
    ]);
  });

  it("preview runs only for this project's branches, when turned on; apply only on the default branch, one at a time", () => {
    const preview = gitlabJob("preview");
    expect(preview.definition.rules).toEqual([
      {
        if: '$CI_PIPELINE_SOURCE == "merge_request_event" && $CI_MERGE_REQUEST_SOURCE_PROJECT_ID == $CI_PROJECT_ID && $SG_WEBHOOKS_PREVIEW == "on"',
      },
    ]);
    const apply = gitlabJob("apply");
    expect(apply.definition.rules).toEqual([{ if: "$CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH" }]);
    expect(apply.definition.resource_group).toBe("webhooks-production");
    expect(mapping(apply.definition.environment).name).toBe("webhooks/production");
    expect(runs(apply, "pulumi up") && runs(apply, "sg-webhooks doctor")).toBe(true);
    // Only these two run pulumi, and only these two get an environment's variables.
    const withPulumi = gitlabRealJobs.filter((j) => runs(j, "pulumi"));
    expect(withPulumi.map((j) => j.name)).toEqual(["preview", "apply"]);
    expect(gitlabRealJobs.filter((j) => j.definition.environment).map((j) => j.name)).toEqual([
      "preview",
      "apply",
    ]);
  });
});

describe("pulumi never runs against the local file backend", () => {
  /** The guard every job that runs pulumi runs first, as written in the job. */
  const guards = (jobs: Job[]) =>
    jobs.flatMap((job) =>
      job.scripts
        .filter((s) => s.text.includes('case "$PULUMI_BACKEND_URL" in'))
        .map((s) => ({ job, script: s })),
    );
  const pulumiJobs = [...githubJobs, ...gitlabRealJobs].filter((j) => runs(j, "pulumi"));

  it("the project names no backend, and no script logs in to a local one", () => {
    const project = parse(readFileSync(path.join(ROOT, GITOPS, "Pulumi.yaml"), "utf8")) as Mapping;
    expect(project.backend).toBeUndefined();
    const local = commandsOf(allJobs).filter(
      ({ words }) =>
        words[0] === "pulumi" && words.some((w) => w === "--local" || w === "-l" || w.startsWith("file:")),
    );
    expect(local).toEqual([]);
  });

  it("every job that runs pulumi takes PULUMI_BACKEND_URL from a variable and refuses an empty or file: one first", () => {
    expect(pulumiJobs.length).toBe(4);
    for (const job of pulumiJobs) {
      expect(guards([job]).length, `${job.file}: ${job.name}`).toBe(1);
      if (job.file.includes(".github"))
        expect(mapping(job.definition.env).PULUMI_BACKEND_URL).toBe(expr("vars.PULUMI_BACKEND_URL"));
    }
  });

  it("the guard refuses an unset or file: backend and lets a persistent one through (run as written)", () => {
    const scripts = [...new Set(guards(pulumiJobs).map(({ script }) => script.text))];
    expect(scripts.length).toBeGreaterThanOrEqual(2);
    for (const text of scripts) {
      // Only the guard (the lines from `case` to `esac`), once per backend URL, in one shell.
      const guard = text.slice(text.indexOf("case "), text.indexOf("esac") + 4);
      const urls = ["", "file://~", "s3://bucket/pulumi", "https://api.pulumi.com"];
      const out = execFileSync(
        "bash",
        [
          "-c",
          `for url in "$@"; do echo "== $url"; ( PULUMI_BACKEND_URL="$url"; ${guard} ) 2>&1; echo "exit $?"; done`,
          "-",
          ...urls,
        ],
        { encoding: "utf8", env: { PATH: process.env.PATH } },
      );
      const verdicts = out.split("== ").slice(1);
      expect(verdicts).toHaveLength(4);
      expect(verdicts[0]).toMatch(/^\n.*PULUMI_BACKEND_URL.*state backend.*\nexit 1\n$/s);
      expect(verdicts[1]).toMatch(/^file:\/\/~\n.*local backend.*\nexit 1\n$/s);
      expect(verdicts[2]).toBe("s3://bucket/pulumi\nexit 0\n");
      expect(verdicts[3]).toBe("https://api.pulumi.com\nexit 0\n");
    }
  });
});

describe("the example's project", () => {
  const pkg = JSON.parse(readFileSync(path.join(ROOT, GITOPS, "package.json"), "utf8")) as {
    dependencies: Record<string, string>;
  };
  const project = parse(readFileSync(path.join(ROOT, GITOPS, "Pulumi.yaml"), "utf8")) as Mapping;

  it("installs the package from git at a pinned ref, and npm builds it on install", () => {
    expect(Object.keys(pkg.dependencies)).toEqual(["pulumi-sourcegraph-webhooks"]);
    expect(pkg.dependencies["pulumi-sourcegraph-webhooks"]).toMatch(/^git\+https:\/\/.+\.git#.+$/);
    const root = JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")) as {
      scripts: Record<string, string>;
      files: string[];
    };
    expect(root.scripts.prepare).toMatch(/^tsc -p tsconfig\.json/);
    expect(root.files).toContain("dist/src");
  });

  it("runs the package's root program from node_modules, a file the build makes and npm ships", () => {
    const prefix = "node_modules/pulumi-sourcegraph-webhooks/";
    expect(project.main).toBe(`${prefix}dist/src/program/index.js`);
    expect(existsSync(path.join(ROOT, String(project.main).slice(prefix.length)))).toBe(true);
    expect(mapping(mapping(project.runtime).options).typescript).toBe(false);
  });

  it("its stack files are valid for the root program, under the project's name", () => {
    const { config } = parse(readFileSync(path.join(ROOT, GITOPS, "Pulumi.prod.yaml"), "utf8")) as {
      config: Mapping;
    };
    const all = Object.fromEntries(Object.entries(config).map(([k, v]) => [k, JSON.stringify(v)]));
    expect(Object.keys(all).every((k) => k.startsWith(`${project.name}:`))).toBe(true);
    expect(() => readDeclaration(String(project.name), all)).not.toThrow();
  });
});

describe("the checks above catch what they exist to catch", () => {
  it("a command hidden behind if, !, or a subshell is still found", () => {
    const found = simpleCommands('if ! sg-webhooks chek "$f"; then x=$(pulumi upp); fi').flatMap((w) =>
      w[0] === "pulumi" || sgWebhooksArgs(w) ? [w.join(" ")] : [],
    );
    expect(found).toEqual(["sg-webhooks chek $f", "pulumi upp"]);
  });
});
