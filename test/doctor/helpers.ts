// What the doctor tests share: a deployment on the stand-ins written as the stack outputs would
// describe it, doctor's options for a quick run, and lookups in a report.
import { vi } from "vitest";
import type { Check, DoctorOptions, RedeliverOptions, Report } from "../../src/doctor";
import { ADMIN_TOKEN } from "../../src/stand-ins/sourcegraph";

export interface ReceiverOut {
  connection: string;
  codeHostKind: string;
  codeHostUrn: string;
  uuid: string;
  url: string;
  deliveryUrl: string;
}

export interface HookOut {
  connection: string;
  codeHost: string;
  kind: string;
  target: string;
  id: string;
  receiverUuid: string;
  deliveryUrl: string;
  apiUrl: string;
  events?: string[];
}

/** `pulumi stack output --json` for these receivers and hooks. */
export function outputs(receivers: ReceiverOut[], hooks: HookOut[]): string {
  return JSON.stringify({ receivers, hooks });
}

/** Doctor reading `json` as `--outputs -`, watching probes briefly. */
export function quick(
  json: string,
  more: Partial<DoctorOptions> & Pick<RedeliverOptions, "dryRun"> = {},
): DoctorOptions & RedeliverOptions {
  return { outputs: "-", stdin: () => json, waitMs: 4_000, pollMs: 100, ...more };
}

/** Sourcegraph's endpoint and a site admin's token, as the environment gives them. */
export function sourcegraphEnv(endpoint: string): void {
  vi.stubEnv("SRC_ENDPOINT", endpoint);
  vi.stubEnv("SRC_ACCESS_TOKEN", ADMIN_TOKEN);
}

/** The one check of a report with this name and target. */
export function checkOf(report: Report, check: string, target?: string): Check {
  const found = report.checks.filter(
    (c) => c.check === check && (target === undefined || c.target === target),
  );
  if (found.length !== 1) {
    throw new Error(
      `expected one ${check} check${target ? ` on ${target}` : ""}, found ${found.length}:\n${JSON.stringify(report.checks, null, 2)}`,
    );
  }
  return found[0]!;
}

/** Every check that is not ok, as `check code` lines (for readable assertions). */
export function problems(report: Report): string[] {
  return report.checks.filter((c) => c.status !== "ok").map((c) => `${c.check} ${c.code}`);
}
