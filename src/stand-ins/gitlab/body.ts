// Reading a GitLab API request's attributes as Grape does: query parameters, then a JSON or
// form body; booleans as JSON booleans or "true"/"false".
import type { FakeRequest } from "../server";

export function parseBody(req: FakeRequest): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of req.query) out[k] = v;
  const type = String(req.headers["content-type"] ?? "");
  const raw = req.body.toString("utf8");
  if (raw === "") return out;
  if (type.includes("application/json")) {
    const parsed: unknown = JSON.parse(raw);
    if (parsed && typeof parsed === "object" && !Array.isArray(parsed)) Object.assign(out, parsed);
  } else if (type.includes("application/x-www-form-urlencoded")) {
    for (const [k, v] of new URLSearchParams(raw)) out[k] = v;
  }
  return out;
}

/** Grape's Boolean coercion: JSON booleans and the strings "true"/"false". */
export function toBool(v: unknown): boolean | undefined {
  if (typeof v === "boolean") return v;
  if (v === "true" || v === "1") return true;
  if (v === "false" || v === "0") return false;
  return undefined;
}

export function validUrl(u: string): boolean {
  try {
    const parsed = new URL(u);
    return (parsed.protocol === "http:" || parsed.protocol === "https:") && parsed.hostname !== "";
  } catch {
    return false;
  }
}
