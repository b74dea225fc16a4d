// `runDoctor`: reads the plan (a stack file or the stack's outputs), then checks every connection
// at once: its receiver and code host connection in Sourcegraph, the relay when there is one, and
// each hook on its code host (settings, a live probe, history). Every check made is in the report,
// every message redacted of every secret doctor saw.
import { parseDuration } from "../relay/options";
import { isOk, skip } from "./codes";
import { hostFailure } from "./failures";
import { checkBitbucketCloudHook } from "./hosts/bitbucket-cloud";
import { checkBitbucketServerHook } from "./hosts/bitbucket-server";
import { type HookContext, hookContextFor, type Timing } from "./hosts/context";
import { checkGitHubHook } from "./hosts/github";
import { checkGitLabHook } from "./hosts/gitlab";
import { readStackOutputs } from "./inputs/outputs-file";
import { readStackFile } from "./inputs/stack-file";
import { UsageError } from "./inputs/usage-error";
import { planFromOutputs, planFromStackFile, selectConnection } from "./plan";
import { checkRelayHistory, checkRelayReady, type RelayRecords } from "./relay";
import { openRelayRecords } from "./relay-store";
import { SecretBag } from "./secrets";
import {
  checkCodeHostConnection,
  checkReceiver,
  checkSourcegraphHistory,
  openSourcegraph,
  receiverSubject,
  type SourcegraphUnavailable,
  type SourcegraphView,
} from "./sourcegraph";
import type { Check, CodeHost, Plan, PlannedConnection, Report } from "./types";

/** Where the plan comes from: exactly one of `config` and `outputs`. */
export interface PlanOptions {
  /** A stack file, `Pulumi.<stack>.yaml`. */
  readonly config?: string;
  /** What `pulumi stack output --json` printed: a file, or `-` for standard input. */
  readonly outputs?: string;
  /** Override the project name read from the Pulumi.yaml beside the stack file. */
  readonly project?: string;
  /** Override the stack name read from the stack file's name. */
  readonly stack?: string;
  /** Only this connection, `<codeHost>/<name>`. */
  readonly connection?: string;
  /** Standard input, for `--outputs -`. */
  readonly stdin?: () => string;
}

export interface DoctorOptions extends PlanOptions {
  /** Send live probes (default true; `--no-probe` lists them as skipped). */
  readonly probe?: boolean;
  /** How far back history goes: a duration (`24h`) or milliseconds. Default 24 h. */
  readonly since?: string | number;
  /** How long a probe's delivery is watched for, in ms. Default 30 s. */
  readonly waitMs?: number;
  /** How often witnesses are asked while watching, in ms. Default 1 s. */
  readonly pollMs?: number;
  /** The relay's data directory, to read its records. */
  readonly relayDataDir?: string;
  /** The relay's records, given directly (instead of `relayDataDir`). */
  readonly relayRecords?: RelayRecords;
}

/** The plan of what to check. Throws UsageError for a wrong command line or unreadable input. */
export function loadPlan(options: PlanOptions): Plan {
  if ((options.config === undefined) === (options.outputs === undefined)) {
    throw new UsageError(
      "give exactly one of --config Pulumi.<stack>.yaml (the declaration) and --outputs FILE|- (pulumi stack output --json)",
    );
  }
  const plan = options.config
    ? planFromStackFile(readStackFile(options.config, { project: options.project, stack: options.stack }))
    : planFromOutputs(readStackOutputs(options.outputs!, options.stdin));
  return selectConnection(plan, options.connection);
}

/** A duration flag (`24h`) or milliseconds, as milliseconds. */
export function durationMs(value: string | number | undefined, fallback: number, flag: string): number {
  if (value === undefined) return fallback;
  if (typeof value === "number") return value;
  try {
    return parseDuration(value, flag);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

const CHECKERS: Record<CodeHost, (ctx: HookContext) => Promise<Check[]>> = {
  github: checkGitHubHook,
  gitlab: checkGitLabHook,
  bitbucketServer: checkBitbucketServerHook,
  bitbucketCloud: checkBitbucketCloudHook,
};

async function checkConnection(
  connection: PlannedConnection,
  sg: SourcegraphView | SourcegraphUnavailable,
  relayRecords: RelayRecords | undefined,
  timing: Timing,
  secrets: SecretBag,
): Promise<Check[]> {
  const checks: Check[] = [];
  const view = typeof sg === "function" ? undefined : sg;
  const found = view ? checkReceiver(connection, view) : undefined;
  const receiver = found?.receiver;
  const at = receiverSubject(connection, receiver);
  checks.push(found?.check ?? (sg as SourcegraphUnavailable)(at));
  const sinceText = new Date(timing.since).toISOString();
  if (view) checks.push(checkCodeHostConnection(connection, view, secrets));
  else
    checks.push(
      skip(
        { connection: connection.id, target: `code host connection ${connection.codeHostUrn}` },
        "connection",
        "not checked: Sourcegraph could not be read",
      ),
    );
  checks.push(
    view && receiver
      ? await checkSourcegraphHistory(connection, view, receiver, sinceText, secrets)
      : skip(at, "history", "not checked: the receiver was not found"),
  );
  const uuid = receiver?.uuid ?? connection.receiverUuid;
  if (connection.relayUrl) {
    checks.push(await checkRelayReady(connection, secrets));
    checks.push(
      uuid
        ? await checkRelayHistory(connection, uuid, relayRecords, timing.since)
        : skip(
            { connection: connection.id, target: `relay ${connection.relayUrl}` },
            "history",
            "not checked: the receiver was not found",
          ),
    );
  }
  if (connection.hooks.length === 0) {
    checks.push(
      skip(
        { connection: connection.id, target: "hooks" },
        "hook",
        "the stack outputs list no hooks for this connection",
        "deploy with this version (the component's hooks output), or run doctor with --config",
      ),
    );
  }
  const hookChecks = await Promise.all(
    connection.hooks.map((hook) => {
      const ctx = hookContextFor(
        connection,
        hook,
        { receiver, sourcegraph: view, relayRecords },
        timing,
        secrets,
      );
      return CHECKERS[connection.codeHost](ctx).catch((err: unknown) => [
        hostFailure(ctx.at, "hook", connection.codeHost, err, secrets),
      ]);
    }),
  );
  for (const list of hookChecks) checks.push(...list);
  return checks;
}

/**
 * Checks every connection of the plan. Throws UsageError for a wrong command line or an
 * unreadable input (exit 2); every other problem is a check in the report.
 */
export async function runDoctor(options: DoctorOptions): Promise<Report> {
  const plan = loadPlan(options);
  const timing: Timing = {
    probe: options.probe ?? true,
    since: Date.now() - durationMs(options.since, 24 * 3_600_000, "--since"),
    waitMs: options.waitMs ?? 30_000,
    pollMs: options.pollMs ?? 1_000,
  };
  const secrets = new SecretBag();
  secrets.add(plan.sourcegraphToken);
  for (const c of plan.connections) secrets.add(...Object.values(c.declaredCredentials ?? {}));
  const relayRecords =
    options.relayRecords ?? (options.relayDataDir ? openRelayRecords(options.relayDataDir) : undefined);
  try {
    const sg = await openSourcegraph(plan, secrets);
    const perConnection = await Promise.all(
      plan.connections.map((c) => checkConnection(c, sg, relayRecords, timing, secrets)),
    );
    const checks = perConnection
      .flat()
      .map((c) => ({ ...c, message: secrets.clean(c.message), fix: secrets.clean(c.fix) }));
    return { ok: isOk(checks), checks };
  } finally {
    if (!options.relayRecords) await relayRecords?.close();
  }
}
