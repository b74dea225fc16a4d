/**
 * The credentials to try, in order: the one stored with the resource (or given as an input), then
 * the one in the environment. Rotating a token must not break a later destroy, which runs with
 * the stored outputs: when the stored token is refused, the current one from the environment is tried.
 */
export function credentialCandidates<T>(
  stored: T | undefined,
  fromEnv: T | undefined,
  same: (a: T, b: T) => boolean,
): T[] {
  const out: T[] = [];
  if (stored !== undefined) out.push(stored);
  if (fromEnv !== undefined && !(stored !== undefined && same(stored, fromEnv))) out.push(fromEnv);
  return out;
}

/**
 * Runs `fn` with each candidate until one is not refused. `refused` tells an authentication failure
 * (401) from any other error, which is thrown at once.
 */
export async function withCredentials<C, T>(
  candidates: readonly C[],
  fn: (credential: C) => Promise<T>,
  refused: (err: unknown) => boolean,
  missing: () => Error,
): Promise<T> {
  if (candidates.length === 0) throw missing();
  let lastError: unknown;
  for (const candidate of candidates) {
    try {
      return await fn(candidate);
    } catch (err) {
      if (!refused(err)) throw err;
      lastError = err;
    }
  }
  throw lastError;
}

/** Reads an environment variable at call time; empty counts as unset. */
export function env(name: string): string | undefined {
  const v = process.env[name];
  return v === undefined || v === "" ? undefined : v;
}
