// The root program's stack config: one key per argument of SourcegraphWebhooks, validated with zod
// so every mistake names the config key (`sourcegraph-webhooks:gitlab[0].projects[1]`) and what
// is valid, before anything is registered.
import { z } from "zod";
import type { SourcegraphWebhooksArgs } from "../components/args";
import { declarationProblems } from "../components/connections";

/** A strict object whose "unknown key" message lists the keys that are valid there. */
function obj<T extends z.ZodRawShape>(shape: T) {
  const valid = Object.keys(shape).join(", ");
  return z.strictObject(shape, {
    error: (issue) =>
      issue.code === "unrecognized_keys"
        ? `unknown key${issue.keys.length > 1 ? "s" : ""} ${issue.keys.map((k) => `"${k}"`).join(", ")}; valid: ${valid}`
        : undefined,
  });
}

const url = z.string({ error: "expected a URL string such as https://host.example.com" }).check(
  z.refine((v) => /^https?:\/\/[^/\s]+/.test(v), {
    error: "expected a URL such as https://host.example.com",
  }),
);
const nonEmpty = z.string({ error: "expected a string" }).min(1, { error: "must not be empty" });
const names = z.array(nonEmpty, { error: "expected a list of strings" });
const ids = z.array(z.union([nonEmpty, z.number().int().positive()]), {
  error: "expected a list of IDs (numbers) or full paths (strings)",
});
const features = z.array(z.enum(["batchChanges", "push", "permissions"]), {
  error: "expected a list of features: batchChanges, push, permissions",
});

const common = {
  name: z
    .string({ error: "expected a string" })
    .regex(/^[A-Za-z0-9._-]+$/, { error: "use letters, digits, '.', '_' and '-' only" })
    .optional(),
  features: features.optional(),
  events: names.optional(),
  secret: nonEmpty.optional(),
  receiverName: nonEmpty.optional(),
  adopt: z.boolean({ error: "expected true or false" }).optional(),
};

/**
 * One key per argument of SourcegraphWebhooks and no other, each parsing to what its argument
 * takes: `satisfies` checks both at compile time, and `UntiedConfigKeys` below the fields of each.
 */
export const configSchema = {
  sourcegraph: obj({ endpoint: url.optional(), accessToken: nonEmpty.optional() }),
  github: z.array(
    obj({
      ...common,
      url: url.optional(),
      token: nonEmpty.optional(),
      organizations: names.optional(),
      repositories: names.optional(),
    }),
    { error: "expected a list of GitHub connections" },
  ),
  gitlab: z.array(
    obj({
      ...common,
      url: url.optional(),
      token: nonEmpty.optional(),
      projects: ids.optional(),
      groups: ids.optional(),
      enableSslVerification: z.boolean({ error: "expected true or false" }).optional(),
    }),
    { error: "expected a list of GitLab connections" },
  ),
  bitbucketServer: z.array(
    obj({
      ...common,
      url: url.optional(),
      token: nonEmpty.optional(),
      username: nonEmpty.optional(),
      password: nonEmpty.optional(),
      scopes: names.optional(),
    }),
    { error: "expected a list of Bitbucket Server connections" },
  ),
  bitbucketCloud: z.array(
    obj({
      ...common,
      secret: z
        .union([nonEmpty, z.literal(false)], { error: "expected a string, or false for no secret" })
        .optional(),
      url: url.optional(),
      apiUrl: url.optional(),
      token: nonEmpty.optional(),
      email: nonEmpty.optional(),
      apiToken: nonEmpty.optional(),
      workspaces: names.optional(),
      repositories: names.optional(),
      description: z.string({ error: "expected a string" }).optional(),
    }),
    { error: "expected a list of Bitbucket Cloud connections" },
  ),
  relay: obj({ publicUrl: url }),
} satisfies {
  readonly [K in keyof Required<SourcegraphWebhooksArgs>]: z.ZodType<SourcegraphWebhooksArgs[K]>;
};

export type ConfigKey = keyof typeof configSchema;
export const CONFIG_KEYS = Object.keys(configSchema) as ConfigKey[];

/** Arguments a stack file cannot hold: objects made in code. */
interface CodeOnlyArgs {
  github: "providers";
}

/** The fields of an argument: a connection's for a list of connections. */
type FieldsOf<T> = NonNullable<T> extends readonly (infer E)[] ? keyof E : keyof NonNullable<T>;
type ArgFields<K extends ConfigKey> = Exclude<
  FieldsOf<SourcegraphWebhooksArgs[K]>,
  K extends keyof CodeOnlyArgs ? CodeOnlyArgs[K] : never
>;
type ConfigFields<K extends ConfigKey> = FieldsOf<z.output<(typeof configSchema)[K]>>;

/** The config keys whose fields are not exactly their argument's; `never` while all are tied. */
type Untied = {
  [K in ConfigKey]: [ArgFields<K>] extends [ConfigFields<K>]
    ? [ConfigFields<K>] extends [ArgFields<K>]
      ? never
      : K
    : K;
}[ConfigKey];
type NoneOf<K extends never> = K;

/**
 * Compiles only while the schema is tied to SourcegraphWebhooksArgs field by field: a new field of a
 * connection without its config field (or the reverse) fails with `Type '"gitlab"' does not satisfy
 * the constraint 'never'`, naming the key. (`satisfies` above ties the keys themselves.)
 */
export type UntiedConfigKeys = NoneOf<Untied>;

/** A config problem: the message names the full key and what is valid. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid stack config:\n  ${problems.join("\n  ")}`);
    this.name = "ConfigError";
  }
}

/** One problem of a stack's config: where (`sourcegraph-webhooks:gitlab[0].projects[1]`), and what is wrong and valid there. */
export interface ConfigProblem {
  /** The full config key with the path inside its value; the project alone for the declaration as a whole. */
  readonly key: string;
  readonly problem: string;
}

/** A problem as one line, as ConfigError lists it. */
export function configProblemText(p: ConfigProblem): string {
  return `${p.key}: ${p.problem}`;
}

/** `[0, "projects", 1]` as `[0].projects[1]`. */
function pathText(path: readonly PropertyKey[]): string {
  return path.map((p) => (typeof p === "number" ? `[${p}]` : `.${String(p)}`)).join("");
}

/**
 * Checks a stack's config as the root program reads it (the engine passes each value as a string;
 * objects and lists as JSON): the schema, then the component's own checks. `all` is every config
 * value (`pulumi.runtime.allConfig()`), `project` the config namespace, `env` where the component's
 * fallbacks (`GITLAB_URL`, `BITBUCKET_SERVER_URL`) are read. Every problem is found at once: the
 * connections of a list that parse are checked by the component even when a sibling does not. The
 * declaration is usable only when there is no problem.
 */
export function checkConfig(
  project: string,
  all: Record<string, string>,
  env: NodeJS.ProcessEnv = process.env,
): { declaration: SourcegraphWebhooksArgs; problems: ConfigProblem[] } {
  const problems: ConfigProblem[] = [];
  const out: Record<string, unknown> = {};
  const refused = new Set<string>();
  for (const [fullKey, raw] of Object.entries(all)) {
    if (!fullKey.startsWith(`${project}:`)) continue;
    const key = fullKey.slice(project.length + 1);
    if (!(CONFIG_KEYS as string[]).includes(key)) {
      problems.push({
        key: fullKey,
        problem: `unknown config key; valid: ${CONFIG_KEYS.map((k) => `${project}:${k}`).join(", ")}`,
      });
      continue;
    }
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch {
      // The text may be a token set with `--secret` but without `--path`: never echo it.
      problems.push({
        key: fullKey,
        problem: `expected ${key === "sourcegraph" || key === "relay" ? "an object" : "a list"} (YAML), got plain text (not shown: it may be a secret)`,
      });
      continue;
    }
    const schema = configSchema[key as ConfigKey];
    const parsed = schema.safeParse(value);
    if (parsed.success) {
      out[key] = parsed.data;
      continue;
    }
    for (const issue of parsed.error.issues)
      problems.push({ key: `${fullKey}${pathText(issue.path)}`, problem: issue.message });
    // The connections of the list that parse still go through the component's checks below.
    if (schema instanceof z.ZodArray && Array.isArray(value)) {
      out[key] = value.map((item: unknown, i) => {
        const one = schema.element.safeParse(item);
        if (one.success) return one.data;
        refused.add(`${key}[${i}]`);
        return {};
      });
    }
  }
  const malformed = problems.length > 0;
  const args = out as SourcegraphWebhooksArgs;
  // The component's paths are the arguments' (`gitlab[0].projects`), which are the config keys here.
  for (const p of declarationProblems(args, env, refused)) {
    if (p.path) problems.push({ key: `${project}:${p.path}`, problem: p.problem });
    // "Declares no connection" is news only when nothing was declared wrong.
    else if (!malformed)
      problems.push({ key: project, problem: `${p.problem} (set them with pulumi config set --path)` });
  }
  return { declaration: args, problems };
}

/**
 * Reads the declaration from a stack's config, as `checkConfig` checks it. Throws a ConfigError
 * listing every problem found.
 */
export function readDeclaration(
  project: string,
  all: Record<string, string>,
  env: NodeJS.ProcessEnv = process.env,
): SourcegraphWebhooksArgs {
  const { declaration, problems } = checkConfig(project, all, env);
  if (problems.length > 0) throw new ConfigError(problems.map(configProblemText));
  return declaration;
}
