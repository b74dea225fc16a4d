// Sourcegraph's answers, word for word (Sourcegraph cmd/frontend/webhooks/webhooks.go and the
// per-kind *_webhooks.go beside it). Go's http.Error adds a newline to each; the HTTP adapter does
// the same.
import type { Refusal, RejectReason } from "./types";

export const BAD_SIGNATURE = "Could not validate payload with secret.";
export const UNKNOWN_RECEIVER = "Could not find webhook with provided UUID.";
export const MISSING_UUID = "missing uuid";

export function unparsableUuid(raw: string): string {
  return `Could not parse UUID from URL path "${raw}".`;
}

export function notImplemented(kind: string): string {
  return `webhooks not implemented for code host kind "${kind}"`;
}

export const unknownGitHubEvent = (t: string) => `unknown X-Github-Event in message: ${t}`;
export const unknownGitLabKind = (k: string) => `kind: ${k}: unknown object kind`;
export const unknownBitbucketServerKey = (k: string) => `parsing webhook: unknown webhook event type: "${k}"`;
export const unknownBitbucketCloudKey = (k: string) => `unknown webhook event key: ${k}`;

export function refuse(status: number, message: string, reason: RejectReason): Refusal {
  return { ok: false, status, message, reason };
}

export const badSignature = (): Refusal => refuse(400, BAD_SIGNATURE, "bad_signature");
