import { notImplemented, refuse } from "./messages";
import type { CodeHostKind, DeliveryInput, SignedVerdict, Verdict } from "./types";
import { usableSecrets } from "./usable-secrets";
import { verifyBitbucketCloud } from "./verify-bitbucket-cloud";
import { verifyBitbucketServer } from "./verify-bitbucket-server";
import { verifyGitHub } from "./verify-github";
import { verifyGitLab } from "./verify-gitlab";

const BY_KIND: Record<CodeHostKind, (input: DeliveryInput) => SignedVerdict> = {
  GITHUB: verifyGitHub,
  GITLAB: verifyGitLab,
  BITBUCKETSERVER: verifyBitbucketServer,
  BITBUCKETCLOUD: verifyBitbucketCloud,
};

/**
 * Decides on a delivery exactly as Sourcegraph's receiver would: the signature (or GitLab token)
 * over the raw bytes with any of the secrets, then the event type. `{ ok: true, event }` means
 * forward it; otherwise answer `status` with `message` (Sourcegraph's words). An empty `secrets`
 * list checks nothing, as a receiver without a secret does in Sourcegraph.
 */
export async function verifyDelivery(input: DeliveryInput): Promise<Verdict> {
  return verifyDeliverySync(input);
}

/** The same decision without a promise, for callers on a hot path. */
export function verifyDeliverySync(input: DeliveryInput): Verdict {
  const verdict = verifySigned(input);
  return verdict.ok && verdict.signature ? { ok: true, event: verdict.event } : verdict;
}

/**
 * The same decision, saying for a body verified by its signature which header value and which of
 * `input.secrets` (by index) made it: the relay's, which may forward that signature as it is.
 */
export function verifySigned(input: DeliveryInput): SignedVerdict {
  const verify = Object.hasOwn(BY_KIND, input.kind) ? BY_KIND[input.kind] : undefined;
  if (!verify) return refuse(501, notImplemented(String(input.kind)), "unsupported_kind");
  // Sourcegraph treats an empty secret as no secret.
  const secrets = usableSecrets(input.secrets);
  if (secrets === input.secrets) return verify(input);
  const verdict = verify({ ...input, secrets });
  if (!verdict.ok || !verdict.signature) return verdict;
  // An index into the secrets given, not into those that count.
  const secret = input.secrets.indexOf(secrets[verdict.signature.secret]!);
  return { ...verdict, signature: { ...verdict.signature, secret } };
}
