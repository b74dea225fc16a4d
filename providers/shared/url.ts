const ABSOLUTE = /^https?:\/\/[^/?#]/i;

/**
 * True for an absolute http(s) URL with a host, written with `//` (`https:github.com` parses, but
 * no one means it): what a code host accepts as a webhook or API URL, and a Sourcegraph URN.
 */
export function isHttpUrl(value: unknown): value is string {
  if (typeof value !== "string" || !ABSOLUTE.test(value.trim())) return false;
  try {
    return new URL(value.trim()).hostname !== "";
  } catch {
    return false;
  }
}

/**
 * An instance or API base URL in one canonical form: scheme and host lower-cased (as URL parsing
 * does), default port dropped, no trailing slash. `https://GitLab.Example.com/` and
 * `https://gitlab.example.com` are one instance, and since the instance is a replacement key, a
 * mere change of spelling must not look like another one. Throws on what does not parse.
 */
export function normalizeBaseUrl(raw: string): string {
  const u = new URL(raw.trim());
  return `${u.protocol}//${u.host}${u.pathname.replace(/\/+$/, "")}`;
}

/**
 * `normalizeBaseUrl`, or the text itself (trimmed, without trailing slashes) when it does not
 * parse: for comparing and reading values that check has already judged.
 */
export function normalizedOrAsIs(raw: string): string {
  try {
    return normalizeBaseUrl(raw);
  } catch {
    return raw.trim().replace(/\/+$/, "");
  }
}
