// Reads the GitOps example's pipelines (examples/gitops/): the GitHub Actions workflows and the
// GitLab CI file as jobs, each with the shell it runs, including the example's own scripts a step
// runs (`bash ci/review.sh`), so that the tests see every command a pipeline runs.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { LineCounter, parseDocument } from "yaml";
import { ROOT } from "./markdown";
import { type ShellCommand, simpleCommands } from "./shell-commands";

export const GITOPS = "examples/gitops";
export const WORKFLOWS = `${GITOPS}/.github/workflows`;
export const GITLAB_CI = `${GITOPS}/.gitlab-ci.yml`;

export type Mapping = Record<string, unknown>;

/** Shell a job runs, and where it is written (`file:line`). */
export interface Script {
  where: string;
  text: string;
}

export interface Job {
  /** The file that defines it, relative to the repository's root. */
  file: string;
  name: string;
  /** The job's definition; on GitLab, with what it `extends` merged in. */
  definition: Mapping;
  /** Every shell script the job runs, the example's script files it calls included. */
  scripts: Script[];
}

export interface YamlFile {
  file: string;
  text: string;
  /** The parsed content; undefined when it does not parse. */
  content: unknown;
  /** Parse errors and warnings, each with its line. */
  problems: string[];
  /** The line of the node at `keyPath`, for messages. */
  lineOf(keyPath: readonly (string | number)[]): number;
}

export function readYaml(file: string): YamlFile {
  const text = readFileSync(path.join(ROOT, file), "utf8");
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false });
  const problems = [...doc.errors, ...doc.warnings].map(
    (e) => `${file}:${lines.linePos(e.pos[0]).line}: ${e.message}`,
  );
  return {
    file,
    text,
    content: doc.errors.length === 0 ? doc.toJS() : undefined,
    problems,
    lineOf(keyPath) {
      const node = doc.getIn(keyPath, true) as { range?: [number, number, number] } | undefined;
      return node?.range ? lines.linePos(node.range[0]).line : 1;
    },
  };
}

/** Every YAML file of the example, relative to the repository's root. */
export function yamlFiles(dir = GITOPS): string[] {
  return readdirSync(path.join(ROOT, dir), { withFileTypes: true }).flatMap((entry) => {
    const file = `${dir}/${entry.name}`;
    if (entry.isDirectory()) return entry.name === "node_modules" ? [] : yamlFiles(file);
    return /\.ya?ml$/.test(entry.name) ? [file] : [];
  });
}

const asMapping = (value: unknown): Mapping =>
  value !== null && typeof value === "object" && !Array.isArray(value) ? (value as Mapping) : {};

/** The example's script files a script runs (`bash ci/review.sh …`), as scripts of their own. */
function calledFiles(script: Script): Script[] {
  return simpleCommands(script.text).flatMap((words) => {
    const file = words[0] === "bash" || words[0] === "sh" ? words[1] : undefined;
    if (file === undefined || !existsSync(path.join(ROOT, GITOPS, file))) return [];
    const where = `${GITOPS}/${file}`;
    return [{ where: `${where}:1`, text: readFileSync(path.join(ROOT, where), "utf8") }];
  });
}

const withCalled = (scripts: Script[]): Script[] => [...scripts, ...scripts.flatMap(calledFiles)];

export interface Workflow extends YamlFile {
  name: string;
  /** The workflow's `on:`, as a mapping of event to its filters. */
  on: Mapping;
  jobs: Job[];
}

export function githubWorkflows(): Workflow[] {
  return readdirSync(path.join(ROOT, WORKFLOWS))
    .filter((f) => /\.ya?ml$/.test(f))
    .sort()
    .map((f) => {
      const yaml = readYaml(`${WORKFLOWS}/${f}`);
      const content = asMapping(yaml.content);
      const jobs = Object.entries(asMapping(content.jobs)).map(([name, value]): Job => {
        const definition = asMapping(value);
        const steps = Array.isArray(definition.steps) ? definition.steps.map(asMapping) : [];
        const scripts = steps.flatMap((step, i) =>
          typeof step.run === "string"
            ? [{ where: `${yaml.file}:${yaml.lineOf(["jobs", name, "steps", i, "run"])}`, text: step.run }]
            : [],
        );
        return { file: yaml.file, name, definition, scripts: withCalled(scripts) };
      });
      const on = content.on;
      return {
        ...yaml,
        name: String(content.name ?? f),
        on:
          typeof on === "string"
            ? { [on]: {} }
            : Array.isArray(on)
              ? Object.fromEntries(on.map((e) => [e, {}]))
              : asMapping(on),
        jobs,
      };
    });
}

/** Top-level keys of a GitLab CI file that are not jobs. */
const GITLAB_KEYWORDS = new Set([
  "workflow",
  "stages",
  "variables",
  "default",
  "include",
  "image",
  "services",
  "cache",
  "before_script",
  "after_script",
]);

const SCRIPT_KEYS = ["before_script", "script", "after_script"] as const;

/** GitLab's `extends`: hashes merge deeply, anything else (script arrays) the extending job replaces. */
function merge(base: Mapping, over: Mapping): Mapping {
  const out: Mapping = { ...base };
  for (const [key, value] of Object.entries(over)) {
    const inherited = out[key];
    out[key] =
      Object.keys(asMapping(value)).length > 0 && Object.keys(asMapping(inherited)).length > 0
        ? merge(asMapping(inherited), asMapping(value))
        : value;
  }
  return out;
}

/** The GitLab jobs (templates, `.name`, included), with `extends` and `default:` resolved. */
export function gitlabJobs(): { yaml: YamlFile; jobs: Job[] } {
  const yaml = readYaml(GITLAB_CI);
  const content = asMapping(yaml.content);
  const resolve = (name: string, seen: string[] = []): Mapping => {
    if (seen.includes(name))
      throw new Error(`${GITLAB_CI}: extends loops through ${[...seen, name].join(" -> ")}`);
    const own = asMapping(content[name]);
    const parents = own.extends === undefined ? [] : [own.extends].flat().map(String);
    const inherited = parents.reduce<Mapping>((acc, p) => merge(acc, resolve(p, [...seen, name])), {});
    const { extends: _extends, ...rest } = own;
    return merge(inherited, rest);
  };
  /** The key path of the job, template or default that gives `name` its `key`. */
  const definer = (name: string, key: string): string[] => {
    const own = asMapping(content[name]);
    if (key in own) return [name, key];
    for (const parent of [own.extends ?? []].flat().map(String).reverse()) {
      const found = definer(parent, key);
      if (found[0] !== "default") return found;
    }
    return ["default", key];
  };
  const defaults = asMapping(content.default);
  const jobs = Object.keys(content)
    .filter((name) => !GITLAB_KEYWORDS.has(name))
    .map((name): Job => {
      const definition = merge(defaults, resolve(name));
      const scripts = SCRIPT_KEYS.flatMap((key) => {
        const lines = [definition[key]].flat(3).filter((l): l is string => typeof l === "string");
        const where = `${GITLAB_CI}:${yaml.lineOf(definer(name, key))}`;
        return lines.length > 0 ? [{ where, text: lines.join("\n") }] : [];
      });
      return { file: GITLAB_CI, name, definition, scripts: withCalled(scripts) };
    });
  return { yaml, jobs };
}

/** Every simple command of the jobs' scripts, each once, with where its script is written. */
export function commandsOf(jobs: readonly Job[]): ShellCommand[] {
  const seen = new Set<string>();
  return jobs.flatMap((job) =>
    job.scripts.flatMap((script) =>
      simpleCommands(script.text).flatMap((words) => {
        const key = `${script.where}\0${words.join("\0")}`;
        if (seen.has(key)) return [];
        seen.add(key);
        return [{ where: script.where, words }];
      }),
    ),
  );
}
