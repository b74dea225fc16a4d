import { createHmac, timingSafeEqual } from "node:crypto";

const ALGORITHMS = new Set(["sha1", "sha256", "sha512"]);
const HEX_DIGITS: Readonly<Record<string, number>> = { sha1: 40, sha256: 64, sha512: 128 };

/** Go's hex.DecodeString: either case, an even number of digits, nothing else. */
function decodeHex(text: string): Buffer | undefined {
  if (text.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(text)) return undefined;
  return Buffer.from(text, "hex");
}

/**
 * go-github's `ValidateSignature`, which Sourcegraph uses for GitHub and both Bitbucket kinds:
 * `<sha1|sha256|sha512>=<hex>` over the raw body. True when any of the secrets signed the body.
 * Every secret is tried, so the time taken does not tell which one matched.
 */
export function verifySignature(signature: string, body: Uint8Array, secrets: readonly string[]): boolean {
  return signedBy(signature, body, secrets) >= 0;
}

/**
 * As `verifySignature`, but says which secret signed the body: its index in `secrets` (the first,
 * should two be equal), or -1 when none did. Every secret is still tried.
 */
export function signedBy(signature: string, body: Uint8Array, secrets: readonly string[]): number {
  const eq = signature.indexOf("=");
  if (eq < 0) return -1;
  const algorithm = signature.slice(0, eq);
  if (!ALGORITHMS.has(algorithm)) return -1;
  const given = decodeHex(signature.slice(eq + 1));
  if (!given) return -1;
  let matched = -1;
  for (const [i, secret] of secrets.entries()) {
    const expected = createHmac(algorithm, secret).update(body).digest();
    // timingSafeEqual throws on different lengths; a length mismatch is no secret (Go's hmac.Equal).
    if (expected.length === given.length && timingSafeEqual(expected, given) && matched < 0) matched = i;
  }
  return matched;
}

/**
 * False when no body and no secret could make `signature` pass `verifySignature`: it is not
 * `<sha1|sha256|sha512>=<hex>` with as many digits as the algorithm's digest has.
 */
export function couldVerify(signature: string): boolean {
  const eq = signature.indexOf("=");
  if (eq < 0) return false;
  const algorithm = signature.slice(0, eq);
  return (
    Object.hasOwn(HEX_DIGITS, algorithm) &&
    signature.length - eq - 1 === HEX_DIGITS[algorithm] &&
    decodeHex(signature.slice(eq + 1)) !== undefined
  );
}

/** `<algorithm>=<lowercase hex>` of the body, as code hosts send it. */
export function sign(algorithm: "sha1" | "sha256" | "sha512", secret: string, body: Uint8Array): string {
  return `${algorithm}=${createHmac(algorithm, secret).update(body).digest("hex")}`;
}
