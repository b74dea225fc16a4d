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

const AMP = 0x26;
const PERCENT = 0x25;
const PLUS = 0x2b;
const EQUALS = 0x3d;
const SEMICOLON = 0x3b;

function isHex(b: number | undefined): boolean {
  return (
    b !== undefined && ((b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x46) || (b >= 0x61 && b <= 0x66))
  );
}

/**
 * The first value of a field of an `application/x-www-form-urlencoded` body, or undefined when the
 * body does not parse as Go's `url.ParseQuery` would (bad escapes, `;` separators). One pass over
 * the bytes, decoding nothing but the field itself: a body of millions of pairs costs about as
 * much as reading it (and it is parsed only once its signature has matched).
 */
export function formField(body: Uint8Array, name: string): string | undefined {
  const ascii = /^[\x20-\x7e]*$/.test(name);
  let found: string | undefined;
  let start = 0; // of the current pair
  let eq = -1; // its first `=`
  let escaped = false; // whether its key holds `%` or `+`
  for (let i = 0; i <= body.length; i++) {
    const b = i < body.length ? body[i] : AMP;
    if (b === AMP) {
      if (found === undefined && i > start) {
        const keyEnd = eq < 0 ? i : eq;
        const plain = ascii && !escaped;
        if (plain ? sameText(body, start, keyEnd, name) : unescapeForm(body, start, keyEnd) === name) {
          found = eq < 0 ? "" : unescapeForm(body, eq + 1, i);
        }
      }
      start = i + 1;
      eq = -1;
      escaped = false;
    } else if (b === SEMICOLON) {
      return undefined;
    } else if (b === PERCENT) {
      if (i + 2 >= body.length || !isHex(body[i + 1]) || !isHex(body[i + 2])) return undefined;
      if (eq < 0) escaped = true;
      i += 2;
    } else if (b === EQUALS) {
      if (eq < 0) eq = i;
    } else if (b === PLUS && eq < 0) {
      escaped = true;
    }
  }
  return found ?? "";
}

/** Bytes against printable ASCII text. */
function sameText(body: Uint8Array, start: number, end: number, text: string): boolean {
  if (end - start !== text.length) return false;
  for (let i = start; i < end; i++) if (body[i] !== text.charCodeAt(i - start)) return false;
  return true;
}

/** Go's QueryUnescape of body[start, end), escapes already checked: `+` is a space, `%XX` a byte, read as UTF-8. */
function unescapeForm(body: Uint8Array, start: number, end: number): string {
  const out = Buffer.allocUnsafe(end - start);
  let n = 0;
  for (let i = start; i < end; i++) {
    const b = body[i]!;
    if (b === PERCENT) {
      out[n++] = Number.parseInt(String.fromCharCode(body[i + 1]!, body[i + 2]!), 16);
      i += 2;
    } else out[n++] = b === PLUS ? 0x20 : b;
  }
  return out.toString("utf8", 0, n);
}
