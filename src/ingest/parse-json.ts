const decoder = new TextDecoder("utf-8");

export type JsonResult = { ok: true; value: unknown } | { ok: false; message: string };

/** JSON.parse over raw bytes; invalid UTF-8 is replaced, as Go's encoding/json does. */
export function parseJson(body: Uint8Array): JsonResult {
  if (body.length === 0) return { ok: false, message: "unexpected end of JSON input" };
  try {
    return { ok: true, value: JSON.parse(decoder.decode(body)) };
  } catch (err) {
    return { ok: false, message: (err as Error).message };
  }
}

/** What Go's json.Unmarshal into a struct accepts at the top level: an object or null. */
export function isObjectOrNull(value: unknown): value is Record<string, unknown> | null {
  return value === null || (typeof value === "object" && !Array.isArray(value));
}

export function jsonTypeName(value: unknown): string {
  if (Array.isArray(value)) return "array";
  return typeof value === "object" ? "object" : typeof value;
}
