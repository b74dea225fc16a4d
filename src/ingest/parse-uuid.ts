const HEX32 = /^[0-9a-fA-F]{32}$/;

/**
 * The canonical (lowercase, dashed) form of a receiver UUID, in any form Go's `uuid.Parse` accepts:
 * dashed, braced, `urn:uuid:`-prefixed or 32 bare hex digits. Undefined when it does not parse.
 */
export function parseUuid(raw: string): string | undefined {
  let s = raw;
  if (s.length === 45 && s.slice(0, 9).toLowerCase() === "urn:uuid:") s = s.slice(9);
  else if (s.length === 38 && s.startsWith("{") && s.endsWith("}")) s = s.slice(1, -1);
  let hex: string;
  if (s.length === 36) {
    if (s[8] !== "-" || s[13] !== "-" || s[18] !== "-" || s[23] !== "-") return undefined;
    hex = s.slice(0, 8) + s.slice(9, 13) + s.slice(14, 18) + s.slice(19, 23) + s.slice(24);
  } else if (s.length === 32) {
    hex = s;
  } else {
    return undefined;
  }
  if (!HEX32.test(hex)) return undefined;
  const h = hex.toLowerCase();
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
