// What Sourcegraph's answer to a forwarded delivery means for it: 2xx and "unknown event" are done;
// 408, 429 and 5xx are retried; anything else (a refused signature, an unknown receiver) needs a
// fix, so it goes to the dead-letter store.
import { type CodeHostKind, messages } from "../ingest";

export type Outcome =
  | { readonly kind: "forwarded" }
  /** Sourcegraph's parser does not take this event (older or newer than our lists): done. */
  | { readonly kind: "ignored" }
  /** Someone must fix the configuration: keep it in the dead-letter store. */
  | { readonly kind: "dead"; readonly reason: "bad_signature" | "unknown_receiver" | "rejected" }
  | { readonly kind: "retry" };

const UNKNOWN_EVENT: Record<CodeHostKind, { status: number; prefix: string } | undefined> = {
  GITHUB: { status: 400, prefix: "unknown X-Github-Event in message:" },
  BITBUCKETSERVER: { status: 400, prefix: "parsing webhook: unknown webhook event type:" },
  BITBUCKETCLOUD: { status: 404, prefix: "unknown webhook event key:" },
  // GitLab's unknown kinds are answered 204, handled with the 2xx below.
  GITLAB: undefined,
};

export function classify(kind: CodeHostKind, status: number, body: string): Outcome {
  if (status >= 200 && status < 300) {
    // Sourcegraph answers 204 only to a GitLab object kind (or action) it does not handle.
    return kind === "GITLAB" && status === 204 ? { kind: "ignored" } : { kind: "forwarded" };
  }
  const text = body.trim();
  const unknown = UNKNOWN_EVENT[kind];
  if (unknown && status === unknown.status && text.startsWith(unknown.prefix)) return { kind: "ignored" };
  if (status === 400 && text === messages.BAD_SIGNATURE) return { kind: "dead", reason: "bad_signature" };
  if (status === 404 && text === messages.UNKNOWN_RECEIVER)
    return { kind: "dead", reason: "unknown_receiver" };
  // 408 and 429 are "later"; 5xx is Sourcegraph (or its proxy) failing, which passes.
  if (status === 408 || status === 429 || status >= 500) return { kind: "retry" };
  return { kind: "dead", reason: "rejected" };
}
