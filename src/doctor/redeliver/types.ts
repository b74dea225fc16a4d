// What redeliver did (or would do) with each failed event, and whether all is well: an event it
// could not resend, or would not (a 4xx, which a resend cannot change), is a finding.

export type Outcome =
  /** Asked the code host to send it again. */
  | "redelivered"
  /** `--dry-run`: would have asked. */
  | "would_redeliver"
  /** Nothing failed on this hook within the window. */
  | "nothing"
  /** The code host refused to send it again, or could not be asked. */
  | "failed"
  /** Refused with a 4xx: a resend would be refused again; the fix comes first. */
  | "not_retryable"
  /** Older than the code host keeps deliveries (GitHub: 3 days, 7 on GitHub Enterprise Server). */
  | "too_old"
  /** This code host (or its version) cannot resend. */
  | "unsupported"
  /** Only a person can act: dead letters of a relay in front of a host that cannot resend. */
  | "manual";

export interface Action {
  /** `<codeHost>/<name>`. */
  readonly connection: string;
  /** The hook, as doctor names it (`organization acme`). */
  readonly target: string;
  /** The code host's ID of the delivery or event resent; empty when the action is about the hook. */
  readonly delivery: string;
  readonly event: string;
  readonly outcome: Outcome;
  readonly message: string;
  readonly fix: string;
}

export interface RedeliverReport {
  /** False when an event could not or would not be resent, or needs a person. */
  readonly ok: boolean;
  readonly actions: Action[];
}

const FINDINGS: ReadonlySet<Outcome> = new Set(["failed", "not_retryable", "too_old", "manual"]);

export function isFinding(outcome: Outcome): boolean {
  return FINDINGS.has(outcome);
}

/**
 * Whether a failure may go away on a resend: no answer (connection error, timeout: GitHub's status
 * 0), a 5xx, or a 429. Another 4xx is Sourcegraph (or the relay) refusing the delivery itself.
 */
export function isRetryable(status: number | undefined): boolean {
  return status === undefined || status === 0 || status === 429 || status >= 500;
}

/** What to do about a delivery refused with `status` before it can be resent. */
export function refusalFix(status: number | undefined, signature: boolean): string {
  if (signature || status === 400) {
    return "rotate the connection's secret through pulumi up (a 400 is usually a signature the receiver refuses), then resend it from the code host's webhook settings";
  }
  if (status === 404) {
    return "the receiver does not exist at that URL: run pulumi up --refresh, then resend it from the code host's webhook settings";
  }
  return "see what Sourcegraph answered in Site admin > Incoming webhooks; a resend would be refused the same way";
}
