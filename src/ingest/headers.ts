import type { DeliveryHeaders } from "./types";

/**
 * The first value of a header, whatever the case of its name, as Go's `Header.Get` does; "" when
 * absent (Sourcegraph treats a missing header and an empty one alike).
 */
export function header(headers: DeliveryHeaders, name: string): string {
  const wanted = name.toLowerCase();
  for (const key of Object.keys(headers)) {
    if (key.toLowerCase() !== wanted) continue;
    const value = headers[key];
    if (value === undefined) continue;
    if (typeof value === "string") return value;
    if (value.length > 0 && typeof value[0] === "string") return value[0];
  }
  return "";
}

/**
 * The bytes a header value may stand for. Node's HTTP parser (and WHATWG `Headers`) hand out header
 * bytes as latin1 characters, while a caller that builds headers by hand writes ordinary strings;
 * a secret with non-ASCII characters must match in both cases.
 */
export function headerBytes(value: string): Buffer[] {
  const utf8 = Buffer.from(value, "utf8");
  // A character above U+00FF cannot come from latin1 decoding, so only UTF-8 is meant.
  for (let i = 0; i < value.length; i++) if (value.charCodeAt(i) > 0xff) return [utf8];
  const latin1 = Buffer.from(value, "latin1");
  return latin1.equals(utf8) ? [utf8] : [latin1, utf8];
}
