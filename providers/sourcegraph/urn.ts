// The code host URN as Sourcegraph stores it: Go's url.Parse + NormalizeBaseURL leave it with a
// lower-case host and "/" appended to the path, nothing else, so comparing anything else makes a
// perpetual diff: `https://GitHub.com` and the stored `https://github.com/` are the same host.
// Source: Sourcegraph internal/extsvc/types.go (NewCodeHostBaseURL, NormalizeBaseURL).

const ABSOLUTE = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/([^/?#]*)([^?#]*)(\?[^#]*)?(#.*)?$/;

/**
 * The URN as Sourcegraph stores it: scheme and host lower-cased, a "/" appended to the path.
 * Ports, path case, query and fragment are kept, as Go's url package keeps them.
 */
export function normalizeUrn(urn: string): string {
  const value = urn.trim();
  const m = ABSOLUTE.exec(value);
  if (!m) return value.endsWith("/") ? value : `${value}/`;
  const [, scheme, authority = "", path = "", query = "", fragment = ""] = m;
  const at = authority.lastIndexOf("@");
  const host =
    at >= 0
      ? `${authority.slice(0, at + 1)}${authority.slice(at + 1).toLowerCase()}`
      : authority.toLowerCase();
  return `${scheme!.toLowerCase()}://${host}${path.endsWith("/") ? path : `${path}/`}${query}${fragment}`;
}

/** Two URNs name the same code host when their normalized forms are equal. */
export function sameUrn(a: string, b: string): boolean {
  return normalizeUrn(a) === normalizeUrn(b);
}
