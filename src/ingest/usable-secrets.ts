const usable = (s: string): boolean => typeof s === "string" && s !== "";

/**
 * The secrets that count: Sourcegraph treats an empty secret as no secret. The list itself when
 * every entry counts, so the usual case allocates nothing.
 */
export function usableSecrets(secrets: readonly string[]): readonly string[] {
  return secrets.every(usable) ? secrets : secrets.filter(usable);
}
