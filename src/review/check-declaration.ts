// A stack file checked as the root program checks it: the same schema and component checks (one
// implementation, src/program/config.ts), the same environment fallbacks and project namespace.
// Encrypted values count as present and are never read; what that leaves unchecked is said.
import type { SourcegraphWebhooksArgs } from "../components/args";
import {
  checkStackConfig,
  type EncryptedValue,
  loadStackConfig,
  type StackConfig,
} from "../doctor/inputs/stack-file";
import type { ConfigProblem } from "../program/config";

/** The config keys that hold code host connections. */
const CODE_HOST_KEYS = new Set(["github", "gitlab", "bitbucketServer", "bitbucketCloud"]);

/** Fields that hold credentials or the shared secret: the ones meant to be encrypted. */
const CREDENTIAL_FIELDS = new Set([
  "token",
  "password",
  "username",
  "email",
  "apiToken",
  "accessToken",
  "secret",
]);

/** A stack file after the root program's checks. */
export interface CheckedDeclaration {
  readonly source: StackConfig;
  /** Every problem the root program would find, each with its full key and what is valid. */
  readonly problems: readonly ConfigProblem[];
  /** What could not be checked because it is encrypted (never its value). */
  readonly notes: readonly string[];
  /** The declaration, usable only without problems; encrypted leaves hold stand-ins. */
  readonly args: SourcegraphWebhooksArgs;
}

const fieldOf = (e: EncryptedValue): string =>
  e.path
    .replace(/\[\d+\]$/, "")
    .split(".")
    .pop() ?? e.path;

/** Checks an already loaded stack file; `env` holds the fallbacks the program reads (GITLAB_URL, …). */
export function checkDeclaration(
  source: StackConfig,
  env: NodeJS.ProcessEnv = process.env,
): CheckedDeclaration {
  // A problem at an encrypted leaf is about its stand-in; every such leaf gets a note below instead.
  const { declaration, problems } = checkStackConfig(source, env);
  const own = source.encrypted.filter((e) => !e.path.includes(":"));
  const wholeHosts = own.filter((e) => e.wholeKey && CODE_HOST_KEYS.has(e.path));
  const notes = own.flatMap((e) => {
    const key = `${source.project}:${e.path}`;
    if (e.wholeKey)
      return [
        `${key}: encrypted as a whole, so not checked; encrypt only the fields that hold credentials (pulumi config set --secret --path '${e.path}...')`,
      ];
    if (CREDENTIAL_FIELDS.has(fieldOf(e))) return [];
    return [`${key}: encrypted, so checked as present only (its value is never read)`];
  });
  return {
    source,
    // An encrypted code host key declares connections that cannot be read: "declares no code host
    // connection" would be wrong.
    problems: wholeHosts.length > 0 ? problems.filter((p) => p.key !== source.project) : problems,
    notes,
    args: declaration,
  };
}

/** Loads and checks a stack file. Throws UsageError when it cannot be read or is not a stack file. */
export function checkStackFile(
  file: string,
  options: { project?: string; env?: NodeJS.ProcessEnv } = {},
): CheckedDeclaration {
  return checkDeclaration(loadStackConfig(file, { project: options.project }), options.env);
}
