// `runRedeliver`: for every hook of the plan, asks the code host to send again what never got a 2xx
// and may succeed now (section 12 of the design), or says why it will not. A second run finds the
// events that have since succeeded and sends nothing for them.
import { hookContextFor } from "../hosts/context";
import { openRelayRecords } from "../relay-store";
import { type DoctorOptions, durationMs, loadPlan } from "../run";
import { SecretBag } from "../secrets";
import { findReceiver, openSourcegraph, receiverSubject } from "../sourcegraph";
import type { CodeHost } from "../types";
import { redeliverBitbucket } from "./bitbucket";
import type { RedeliverContext } from "./context";
import { redeliverGitHub } from "./github";
import { redeliverGitLab } from "./gitlab";
import { type Action, isFinding, type RedeliverReport } from "./types";

export interface RedeliverOptions
  extends Pick<
    DoctorOptions,
    "config" | "outputs" | "project" | "stack" | "connection" | "stdin" | "relayDataDir" | "relayRecords"
  > {
  /** How far back to look: a duration (`72h`) or milliseconds. Default 72 h (GitHub's window). */
  readonly since?: string | number;
  /** Say what would be resent, resend nothing. */
  readonly dryRun?: boolean;
}

const BY_HOST: Record<CodeHost, (ctx: RedeliverContext) => Promise<Action[]>> = {
  github: redeliverGitHub,
  gitlab: redeliverGitLab,
  bitbucketServer: redeliverBitbucket,
  bitbucketCloud: redeliverBitbucket,
};

export async function runRedeliver(options: RedeliverOptions): Promise<RedeliverReport> {
  const plan = loadPlan(options);
  const sinceMs = durationMs(options.since, 72 * 3_600_000, "--since");
  const secrets = new SecretBag();
  secrets.add(plan.sourcegraphToken);
  for (const c of plan.connections) secrets.add(...Object.values(c.declaredCredentials ?? {}));
  const relayRecords =
    options.relayRecords ?? (options.relayDataDir ? openRelayRecords(options.relayDataDir) : undefined);
  try {
    const sg = await openSourcegraph(plan, secrets);
    const view = typeof sg === "function" ? undefined : sg;
    const perConnection = await Promise.all(
      plan.connections.map(async (connection) => {
        const actions: Action[] = [];
        const receiver = view ? findReceiver(connection, view.receivers).receiver : undefined;
        if (typeof sg === "function") {
          const check = sg(receiverSubject(connection));
          actions.push({
            connection: connection.id,
            target: check.target,
            delivery: "",
            event: "",
            outcome: "failed",
            message: check.message,
            fix: check.fix,
          });
        }
        const perHook = await Promise.all(
          connection.hooks.map((hook) => {
            const ctx: RedeliverContext = {
              ...hookContextFor(
                connection,
                hook,
                { receiver, sourcegraph: view, relayRecords },
                { probe: false, since: Date.now() - sinceMs, waitMs: 0, pollMs: 0 },
                secrets,
              ),
              dryRun: options.dryRun ?? false,
              sinceMs,
            };
            return BY_HOST[connection.codeHost](ctx).catch((err: unknown): Action[] => [
              {
                connection: connection.id,
                target: ctx.at.target,
                delivery: "",
                event: "",
                outcome: "failed",
                message: (err as Error)?.message ?? String(err),
                fix: "run sg-webhooks doctor to see why",
              },
            ]);
          }),
        );
        return [...actions, ...perHook.flat()];
      }),
    );
    const actions = perConnection
      .flat()
      .map((a) => ({ ...a, message: secrets.clean(a.message), fix: secrets.clean(a.fix) }));
    return { ok: !actions.some((a) => isFinding(a.outcome)), actions };
  } finally {
    if (!options.relayRecords) await relayRecords?.close();
  }
}
