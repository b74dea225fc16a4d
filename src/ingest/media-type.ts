const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/**
 * Go's `mime.ParseMediaType`, to the extent go-github relies on it: the lowercased type, or
 * undefined when the header does not parse (missing, or a malformed parameter).
 */
export function parseMediaType(value: string): string | undefined {
  const semi = value.indexOf(";");
  const type = (semi < 0 ? value : value.slice(0, semi)).trim().toLowerCase();
  const slash = type.indexOf("/");
  if (slash < 0 || !TOKEN.test(type.slice(0, slash)) || !TOKEN.test(type.slice(slash + 1))) return undefined;
  let rest = semi < 0 ? "" : value.slice(semi);
  while (rest.length > 0) {
    rest = rest.replace(/^\s*;\s*/, "");
    if (rest.trim() === "") break; // trailing semicolons are ignored
    const m =
      /^([!#$%&'*+\-.^_`|~0-9A-Za-z]+)\s*=\s*("(?:[^"\\]|\\.)*"|[!#$%&'*+\-.^_`|~0-9A-Za-z]+)\s*/.exec(rest);
    if (!m) return undefined;
    rest = rest.slice(m[0].length);
    if (rest.length > 0 && !rest.startsWith(";")) return undefined;
  }
  return type;
}

/**
 * The first value of a field of an `application/x-www-form-urlencoded` body, or undefined when the
 * body does not parse as Go's `url.ParseQuery` would (bad escapes, `;` separators).
 */
export function formField(body: Uint8Array, name: string): string | undefined {
  const text = Buffer.from(body).toString("latin1");
  let found: string | undefined;
  for (const pair of text.split("&")) {
    if (pair === "") continue;
    if (pair.includes(";")) return undefined;
    const eq = pair.indexOf("=");
    const rawKey = eq < 0 ? pair : pair.slice(0, eq);
    const rawValue = eq < 0 ? "" : pair.slice(eq + 1);
    const key = unescapeForm(rawKey);
    const value = unescapeForm(rawValue);
    if (key === undefined || value === undefined) return undefined;
    if (key === name && found === undefined) found = value;
  }
  return found ?? "";
}

function unescapeForm(s: string): string | undefined {
  if (/%(?![0-9a-fA-F]{2})/.test(s)) return undefined;
  // Percent escapes are bytes: rebuild them as bytes, then read UTF-8.
  const bytes = Buffer.from(
    s
      .replace(/\+/g, " ")
      .replace(/%([0-9a-fA-F]{2})/g, (_, h: string) => String.fromCharCode(Number.parseInt(h, 16))),
    "latin1",
  );
  return bytes.toString("utf8");
}
