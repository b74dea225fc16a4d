/**
 * Bitbucket Server's "Test connection" button sends `diagnostics:ping` without a signature, even
 * when the hook has a secret, and Sourcegraph lets it in unchecked: nothing vouches for its body.
 * `signature` is `X-Hub-Signature`, `event` is `X-Event-Key` (first values, "" when absent).
 */
export function isUnsignedPing(signature: string, event: string): boolean {
  return signature === "" && event === "diagnostics:ping";
}
