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
