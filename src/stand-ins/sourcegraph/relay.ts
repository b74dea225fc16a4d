// Relay IDs and cursors as graph-gophers/graphql-go's relay package makes them:
// base64 (URL-safe alphabet, WITH `=` padding) of `<Kind>:<json spec>`. `Webhook:1` -> `V2ViaG9vazox`.

export function marshalId(kind: string, spec: unknown): string {
  return Buffer.from(`${kind}:${JSON.stringify(spec)}`)
    .toString("base64")
    .replace(/\+/g, "-")
    .replace(/\//g, "_");
}

/** Kind and raw spec text, or undefined when the text is not an ID this encoder could have made. */
export function unmarshalId(id: string): { kind: string; spec: string } | undefined {
  if (!/^[A-Za-z0-9_-]*={0,2}$/.test(id) || id.length % 4 !== 0) return undefined;
  const decoded = Buffer.from(id, "base64url").toString("utf8");
  const i = decoded.indexOf(":");
  if (i < 0) return undefined;
  return { kind: decoded.slice(0, i), spec: decoded.slice(i + 1) };
}

export function webhookId(n: number): string {
  return marshalId("Webhook", n);
}

/** The integer primary key behind a `Webhook` ID, or undefined. */
export function webhookNumber(id: string): number | undefined {
  const u = unmarshalId(id);
  if (u?.kind !== "Webhook" || !/^\d+$/.test(u.spec)) return undefined;
  return Number(u.spec);
}

/** `endCursor` holds the ID of the first row of the NEXT page (the resolver fetches first+1 rows). */
export function webhookCursor(nextId: number): string {
  return marshalId("WebhookCursor", { Column: "id", Value: String(nextId), Direction: "next" });
}

/** The `id >= n` bound of a cursor, or the error text Sourcegraph answers for a bad one. */
export function parseWebhookCursor(cursor: string): { from: number } | { error: string } {
  const u = unmarshalId(cursor);
  const kind = u?.kind ?? "";
  if (kind !== "WebhookCursor")
    return { error: `cannot unmarshal webhook cursor type: ${JSON.stringify(kind)}` };
  try {
    const spec = JSON.parse(u!.spec) as { Value?: unknown };
    const n = Number(spec.Value);
    if (!Number.isInteger(n)) throw new Error("bad value");
    return { from: n };
  } catch {
    return { error: `cannot unmarshal webhook cursor value: ${u!.spec}` };
  }
}
