// Receivers whose secret is short enough to guess. One signed delivery (seen in a proxy's log, a
// code host's delivery page) lets anyone try secrets offline against its HMAC; a GitLab token is
// compared as it is. A short secret also makes redaction mangle the messages it is cut out of.
import type { Logger } from "pino";
import type { RelayReceiver } from "./receivers-file";

/** Webhook secrets shorter than this many characters draw a warning (never a refusal). */
export const MIN_SECRET_LENGTH = 16;

export function isWeakSecret(secret: string): boolean {
  return [...secret].length < MIN_SECRET_LENGTH;
}

/** The UUIDs of the receivers holding a secret shorter than `MIN_SECRET_LENGTH`, never the secrets. */
export function weakSecrets(list: readonly RelayReceiver[]): string[] {
  return list.filter((r) => r.secrets.some(isWeakSecret)).map((r) => r.uuid);
}

/**
 * A warning per receiver with a weak secret, once per process: receivers are loaded again on every
 * refresh, and the same warning every minute would drown the log.
 */
export function weakSecretWarner(logger: Logger): (list: readonly RelayReceiver[]) => void {
  const warned = new Set<string>();
  return (list) => {
    const weak = weakSecrets(list).filter((uuid) => !warned.has(uuid));
    if (weak.length === 0) return;
    for (const uuid of weak) warned.add(uuid);
    logger.warn(
      { receivers: weak },
      `receiver secrets shorter than ${MIN_SECRET_LENGTH} characters can be guessed from one signed delivery; give ${weak.length > 1 ? "these receivers" : "this receiver"} a longer secret (such as the output of \`openssl rand -hex 20\`)`,
    );
  };
}
