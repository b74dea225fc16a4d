// Forwarding a delivery with the signature its code host made, when the secret that made it is still
// the one Sourcegraph holds (`secrets[0]`): the relay then does not sign the body again, which costs
// an HMAC over every byte (two for GitHub, whose legacy SHA-1 header is sent beside SHA-256). Only a
// verified `sha256=` header of GitHub or Bitbucket is kept; GitLab's token is the secret itself and
// is never kept. Which secret made a signature is kept as a fingerprint keyed by a random key of
// this relay process: it tells whoever reads the store nothing about the secret, and in another
// process (after a restart, on another relay sharing the database) it matches nothing, so the
// delivery is signed again there.
import { createHmac, randomBytes } from "node:crypto";
import type { CodeHostKind, VerifiedSignature } from "../ingest/types";
import type { StoredSignature } from "./store";

/**
 * The header a kept signature is forwarded in: where Sourcegraph reads it first (go-github's
 * ValidatePayload takes X-Hub-Signature-256 over X-Hub-Signature for GitHub).
 */
const HEADER: Readonly<Record<CodeHostKind, string | undefined>> = {
  GITHUB: "x-hub-signature-256",
  BITBUCKETSERVER: "x-hub-signature",
  BITBUCKETCLOUD: "x-hub-signature",
  GITLAB: undefined,
};

/** Bytes of HMAC-SHA-256 kept in a fingerprint: far more than equality among a relay's secrets needs. */
const FINGERPRINT_BYTES = 16;

export class SignatureReuse {
  readonly #key = randomBytes(32);
  /** Fingerprints per receiver's secrets list (replaced whole, never changed, when receivers are read again). */
  readonly #fingerprints = new WeakMap<readonly string[], Array<string | undefined>>();

  /**
   * What to store with a delivery that `signature` verified, made by `secrets[signature.secret]`;
   * undefined when it cannot be forwarded as it is (GitLab, no secret, not SHA-256).
   */
  keep(
    kind: CodeHostKind,
    signature: VerifiedSignature | undefined,
    secrets: readonly string[],
  ): StoredSignature | undefined {
    if (signature === undefined || HEADER[kind] === undefined || !signature.value.startsWith("sha256="))
      return undefined;
    return { value: signature.value, secret: this.fingerprint(secrets, signature.secret) };
  }

  /**
   * The signature header to forward instead of a new signature: the kept one, when the secret that
   * made it is `secrets[0]` now (a rotation, or receivers read again from Sourcegraph, may have
   * changed it since). Undefined: sign the body again.
   */
  reuse(
    kind: CodeHostKind,
    kept: StoredSignature | undefined,
    secrets: readonly string[],
  ): { readonly name: string; readonly value: string } | undefined {
    const name = HEADER[kind];
    if (kept === undefined || name === undefined || secrets.length === 0) return undefined;
    return kept.secret === this.fingerprint(secrets, 0) ? { name, value: kept.value } : undefined;
  }

  /** HMAC-SHA-256 of `secrets[index]` under this process's key, cached per list. */
  private fingerprint(secrets: readonly string[], index: number): string {
    let known = this.#fingerprints.get(secrets);
    if (known === undefined) {
      known = [];
      this.#fingerprints.set(secrets, known);
    }
    let fingerprint = known[index];
    if (fingerprint === undefined) {
      fingerprint = createHmac("sha256", this.#key)
        .update(secrets[index] ?? "", "utf8")
        .digest()
        .subarray(0, FINGERPRINT_BYTES)
        .toString("base64url");
      known[index] = fingerprint;
    }
    return fingerprint;
  }
}
