// Every finding's code with its status, as DESIGN section 3 pins them, and the builders that make a
// check from one. `ssl_verification_off` is the one code whose status depends on the declaration:
// a warning when it was declared off, a failure when the hook drifted to it.
import type { Check, CheckName, Status } from "./types";

export const CODES = {
  ok: "ok",
  skipped: "skip",
  receiver_missing: "fail",
  connection_missing: "fail",
  hook_missing: "fail",
  hook_wrong_url: "fail",
  hook_events_missing: "fail",
  hook_inactive: "fail",
  hook_disabled: "fail",
  content_type_not_json: "fail",
  probe_not_delivered: "fail",
  probe_refused_signature: "fail",
  probe_refused: "fail",
  relay_unhealthy: "fail",
  sourcegraph_unreachable: "fail",
  code_host_unreachable: "fail",
  credentials_missing: "fail",
  unauthorized: "fail",
  probe_unsupported: "warn",
  logging_off: "warn",
  recent_failures: "warn",
  no_delivery_yet: "warn",
  ssl_verification_off: "warn",
} as const satisfies Record<string, Status>;

export type Code = keyof typeof CODES;

/** Where a check is: its connection and target. */
export interface Subject {
  readonly connection: string;
  readonly target: string;
}

/** A passing check. */
export function pass(at: Subject, check: CheckName, message: string): Check {
  return { ...at, check, status: "ok", code: "ok", message, fix: "" };
}

/** A check not made, with why (and how to make it, when a flag would). */
export function skip(at: Subject, check: CheckName, message: string, fix = ""): Check {
  return { ...at, check, status: "skip", code: "skipped", message, fix };
}

/** A finding: its status is its code's, except where `status` says otherwise (`ssl_verification_off`). */
export function finding(
  at: Subject,
  check: CheckName,
  code: Exclude<Code, "ok" | "skipped">,
  message: string,
  fix: string,
  status?: Exclude<Status, "ok" | "skip">,
): Check {
  return { ...at, check, status: status ?? CODES[code], code, message, fix };
}

/** `ok` is true exactly when no check fails. */
export function isOk(checks: readonly Check[]): boolean {
  return !checks.some((c) => c.status === "fail");
}

/** The rotation every refused signature needs: GitHub masks secrets, so nothing else can repair it. */
export const ROTATE_SECRET_FIX = "rotate the connection's secret through pulumi up";
