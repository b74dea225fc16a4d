import type { CodeHostKind } from "../../providers/shared/code-host-kind";

export { CODE_HOST_KINDS, type CodeHostKind, isCodeHostKind } from "../../providers/shared/code-host-kind";

/** Request headers as Node gives them (`IncomingHttpHeaders`): names in any case, a string or a list. */
export type DeliveryHeaders = Readonly<Record<string, string | readonly string[] | undefined>>;

export interface DeliveryInput {
  /** The receiver's code host kind. */
  readonly kind: CodeHostKind;
  readonly headers: DeliveryHeaders;
  /** The raw request body, exactly as received. */
  readonly body: Uint8Array;
  /**
   * The receiver's secrets; more than one while a secret is being rotated. An empty list means the
   * receiver has no secret, and then nothing is checked (as in Sourcegraph).
   */
  readonly secrets: readonly string[];
}

/** Why a delivery was refused; for metrics and logs. */
export type RejectReason = "bad_signature" | "unknown_event" | "malformed_body" | "unsupported_kind";

export type Verdict =
  /** Forward it. `event` is `X-GitHub-Event`, GitLab's `object_kind` or Bitbucket's `X-Event-Key`. */
  | { readonly ok: true; readonly event: string }
  /** Answer `status` with `message` (Sourcegraph's own words) and do not forward. */
  | { readonly ok: false; readonly status: number; readonly message: string; readonly reason: RejectReason };

/** A Verdict that refuses the delivery. */
export type Refusal = Extract<Verdict, { readonly ok: false }>;

/** The signature header a body was verified by, and which of the secrets made it. */
export interface VerifiedSignature {
  /** The header's value as the code host sent it, such as `sha256=<hex>`. */
  readonly value: string;
  /** The index, in the secrets given, of the secret that made it. */
  readonly secret: number;
}

/**
 * A Verdict that also says, for a body verified by its signature (GitHub and Bitbucket, never
 * GitLab's token), which signature and which secret: what lets the relay forward the code host's
 * own signature instead of signing the body again.
 */
export type SignedVerdict =
  | Refusal
  | { readonly ok: true; readonly event: string; readonly signature?: VerifiedSignature };
