// Decoded readings of a text, for redaction: each unit (a UTF-16 code unit) remembers the span of
// the source text it was decoded from, so that a secret found in a decoded reading can be cut out
// of the text as it was written. Every reading is one linear pass.

/** A reading of a text: `chars[i]` was decoded from `source.slice(starts[i], ends[i])`. */
export interface TextView {
  readonly chars: Uint16Array;
  readonly starts: Int32Array;
  readonly ends: Int32Array;
  readonly length: number;
}

/** Which encodings a decoding pass undoes. */
export interface Decodings {
  /** `%XX` (either case of hex, UTF-8 sequences as one character), as URLs and forms write. */
  readonly percent: boolean;
  /** JSON and JavaScript escapes (`\u003d`, `\/`, `\"`, `\x3d`) and HTML character references. */
  readonly escapes: boolean;
}

const CR = 13;
const LF = 10;
const SPACE = 32;
const TAB = 9;

/**
 * How a line break, with the spaces or tabs after it, reads: as nothing (a secret wrapped over
 * lines at any point reads as one piece), or as one space (a header folded at a space the secret
 * itself holds).
 */
export type Breaks = "drop" | "space";

/** Collects units, reading line breaks as `breaks` says. */
class ViewBuilder {
  readonly chars: Uint16Array;
  readonly starts: Int32Array;
  readonly ends: Int32Array;
  length = 0;
  /** Where the line break being read began, or -1. */
  private breakAt = -1;

  constructor(
    capacity: number,
    private readonly breaks: Breaks,
  ) {
    this.chars = new Uint16Array(capacity);
    this.starts = new Int32Array(capacity);
    this.ends = new Int32Array(capacity);
  }

  push(char: number, start: number, end: number): void {
    if (char === CR || char === LF) {
      if (this.breakAt < 0) this.breakAt = start;
      return;
    }
    if (this.breakAt >= 0) {
      if (char === SPACE || char === TAB) return;
      if (this.length > 0 && this.breaks === "space") this.add(SPACE, this.breakAt, start);
      this.breakAt = -1;
    }
    this.add(char, start, end);
  }

  private add(char: number, start: number, end: number): void {
    this.chars[this.length] = char;
    this.starts[this.length] = start;
    this.ends[this.length] = end;
    this.length++;
  }

  pushCodePoint(cp: number, start: number, end: number): void {
    if (cp > 0xffff) {
      const v = cp - 0x10000;
      this.push(0xd800 + (v >> 10), start, end);
      this.push(0xdc00 + (v & 0x3ff), start, end);
    } else this.push(cp, start, end);
  }

  done(): TextView {
    return { chars: this.chars, starts: this.starts, ends: this.ends, length: this.length };
  }
}

/** The text as written, line breaks (and the indentation after them) read as `breaks` says. */
export function rawView(text: string, breaks: Breaks = "drop"): TextView {
  // One more unit than characters: "space" adds one for a break (it drops one character at least).
  const b = new ViewBuilder(text.length + 1, breaks);
  for (let i = 0; i < text.length; i++) b.push(text.charCodeAt(i), i, i + 1);
  return b.done();
}

/** The units of a secret as a folded view reads them (see `foldView`), line breaks left out. */
export function secretUnits(secret: string): Uint16Array {
  const v = foldView(rawView(secret));
  return v.chars.slice(0, v.length);
}

function hexDigit(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 65 && c <= 70) return c - 55;
  if (c >= 97 && c <= 102) return c - 87;
  return -1;
}

/** The value of `count` hex digits at `at` in the view's units, or -1. */
function hexAt(v: TextView, at: number, count: number): number {
  if (at + count > v.length) return -1;
  let n = 0;
  for (let k = 0; k < count; k++) {
    const d = hexDigit(v.chars[at + k]!);
    if (d < 0) return -1;
    n = n * 16 + d;
  }
  return n;
}

/** The byte of a `%XX` at `at`, or -1. */
function percentByte(v: TextView, at: number): number {
  return at < v.length && v.chars[at] === 37 ? hexAt(v, at + 1, 2) : -1;
}

/** `\n`, `\/`, `\"`... Upper-case letters too: a text may have been upper-cased as a whole. */
const SIMPLE_ESCAPES: ReadonlyMap<number, number> = new Map(
  (
    [
      ["n", LF],
      ["r", CR],
      ["t", TAB],
      ["b", 8],
      ["f", 12],
      ["/", 47],
      ['"', 34],
      ["'", 39],
      ["\\", 92],
    ] as const
  ).flatMap(
    ([k, v]): Array<[number, number]> => [
      [k.charCodeAt(0), v],
      [k.toUpperCase().charCodeAt(0), v],
    ],
  ),
);

const NAMED_ENTITIES: ReadonlyMap<string, number> = new Map([
  ["amp", 38],
  ["lt", 60],
  ["gt", 62],
  ["quot", 34],
  ["apos", 39],
]);

/** An HTML character reference at `at` (`&#61;`, `&#x3D;`, `&amp;`): its code point and end. */
function entityAt(v: TextView, at: number): { cp: number; next: number } | undefined {
  let k = at + 1;
  let name = "";
  while (k < v.length && k - at <= 10 && v.chars[k] !== 59) name += String.fromCharCode(v.chars[k++]!);
  if (k >= v.length || v.chars[k] !== 59 || name === "") return undefined;
  const next = k + 1;
  const lower = name.toLowerCase();
  let cp: number | undefined;
  if (lower.startsWith("#x"))
    cp = /^#x[0-9a-f]{1,6}$/.test(lower) ? Number.parseInt(lower.slice(2), 16) : undefined;
  else if (lower.startsWith("#"))
    cp = /^#[0-9]{1,7}$/.test(lower) ? Number.parseInt(lower.slice(1), 10) : undefined;
  else cp = NAMED_ENTITIES.get(lower);
  return cp !== undefined && cp <= 0x10ffff ? { cp, next } : undefined;
}

/** A backslash escape at `at` (`\u003d`, `\x3d`, `\/`...): its character and end. */
function escapeAt(v: TextView, at: number): { cp: number; next: number } | undefined {
  if (at + 1 >= v.length) return undefined;
  const d = v.chars[at + 1]!;
  const wide = d === 117 || d === 85 ? hexAt(v, at + 2, 4) : -1;
  if (wide >= 0) return { cp: wide, next: at + 6 };
  const narrow = d === 120 || d === 88 ? hexAt(v, at + 2, 2) : -1;
  if (narrow >= 0) return { cp: narrow, next: at + 4 };
  const simple = SIMPLE_ESCAPES.get(d);
  return simple === undefined ? undefined : { cp: simple, next: at + 2 };
}

/**
 * A UTF-8 sequence written as `%XX%XX...` at `at`: its code point and where it ends, or undefined
 * (a lone byte then reads as itself).
 */
function utf8At(v: TextView, at: number, lead: number): { cp: number; next: number } | undefined {
  const count = lead >= 0xf0 && lead < 0xf8 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc0 ? 2 : 0;
  if (count === 0) return undefined;
  let cp = lead & (0x7f >> count);
  let k = at + 3;
  for (let n = 1; n < count; n++, k += 3) {
    const b = percentByte(v, k);
    if (b < 0x80 || b > 0xbf) return undefined;
    cp = (cp << 6) | (b & 0x3f);
  }
  return cp <= 0x10ffff ? { cp, next: k } : undefined;
}

/**
 * One decoding pass over a view. Passes compose (a view of a view), which reads twice-encoded
 * text; spans always point into the original text. Undefined when nothing was decoded: the pass
 * would only repeat its input.
 */
export function decodeView(v: TextView, how: Decodings, breaks: Breaks = "drop"): TextView | undefined {
  const b = new ViewBuilder(v.length + 1, breaks);
  let decoded = false;
  let i = 0;
  while (i < v.length) {
    const c = v.chars[i]!;
    const start = v.starts[i]!;
    if (how.percent && c === 37) {
      const byte = percentByte(v, i);
      if (byte >= 0) {
        const seq = byte >= 0x80 ? utf8At(v, i, byte) : undefined;
        const next = seq ? seq.next : i + 3;
        b.pushCodePoint(seq ? seq.cp : byte, start, v.ends[next - 1]!);
        i = next;
        decoded = true;
        continue;
      }
    }
    if (how.escapes && c === 92) {
      const e = escapeAt(v, i);
      if (e) {
        b.push(e.cp, start, v.ends[e.next - 1]!);
        i = e.next;
        decoded = true;
        continue;
      }
    }
    if (how.escapes && c === 38) {
      const e = entityAt(v, i);
      if (e) {
        b.pushCodePoint(e.cp, start, v.ends[e.next - 1]!);
        i = e.next;
        decoded = true;
        continue;
      }
    }
    b.push(c, start, v.ends[i]!);
    i++;
  }
  return decoded ? b.done() : undefined;
}

/**
 * A code point's case-insensitive form: upper-cased, then lower-cased, as a crude case folding that
 * also matches expansions (`ß` and `SS`, `ᾀ` and `ἈΙ`). A space reads as `+`, as a form writes it.
 */
const foldCache = new Map<number, string>();
function foldCodePoint(cp: number): string {
  if (cp < 128) {
    if (cp >= 65 && cp <= 90) return String.fromCharCode(cp + 32);
    return cp === SPACE ? "+" : String.fromCharCode(cp);
  }
  let f = foldCache.get(cp);
  if (f === undefined) {
    f = String.fromCodePoint(cp).toUpperCase().toLowerCase();
    if (foldCache.size < 4096) foldCache.set(cp, f);
  }
  return f;
}

/** A view's case-insensitive reading (see `foldCodePoint`); spans stay those of the source. */
export function foldView(v: TextView): TextView {
  // A code point folds to at most 3 code points of the BMP; an astral one to at most 2 units.
  const b = {
    chars: new Uint16Array(v.length * 3),
    starts: new Int32Array(v.length * 3),
    ends: new Int32Array(v.length * 3),
  };
  let n = 0;
  for (let i = 0; i < v.length; i++) {
    let cp = v.chars[i]!;
    const start = v.starts[i]!;
    let end = v.ends[i]!;
    if (cp >= 0xd800 && cp <= 0xdbff && i + 1 < v.length) {
      const low = v.chars[i + 1]!;
      if (low >= 0xdc00 && low <= 0xdfff) {
        cp = 0x10000 + ((cp - 0xd800) << 10) + (low - 0xdc00);
        end = v.ends[++i]!;
      }
    }
    const f = cp < 128 ? undefined : foldCodePoint(cp);
    if (f === undefined) {
      b.chars[n] = cp >= 65 && cp <= 90 ? cp + 32 : cp === SPACE ? 43 : cp;
      b.starts[n] = start;
      b.ends[n++] = end;
      continue;
    }
    for (let k = 0; k < f.length; k++) {
      b.chars[n] = f.charCodeAt(k);
      b.starts[n] = start;
      b.ends[n++] = end;
    }
  }
  return { ...b, length: n };
}
