import { createHash, timingSafeEqual } from "node:crypto";
import { headerBytes } from "./headers";

const digest = (b: Uint8Array) => createHash("sha256").update(b).digest();

/**
 * GitLab's `X-Gitlab-Token` against the secrets, in constant time (Sourcegraph uses
 * `subtle.ConstantTimeCompare`). Comparing SHA-256 digests keeps even the length private.
 */
export function verifyToken(token: string, secrets: readonly string[]): boolean {
  const candidates = headerBytes(token).map(digest);
  let matched = false;
  for (const secret of secrets) {
    const want = digest(Buffer.from(secret, "utf8"));
    for (const got of candidates) if (timingSafeEqual(got, want)) matched = true;
  }
  return matched;
}
