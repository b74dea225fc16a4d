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
const PLUS = 43;
const TAB = 9;

/**
 * How whitespace reads.
 * - "drop": a line break and the spaces or tabs after it read as nothing, so a secret wrapped over
 *   lines at a point between two of its characters reads as one piece; other whitespace as written.
 * - "space": every run of spaces, tabs and line breaks reads as one space. A wrap next to spaces
 *   the secret itself holds cannot tell the secret's spaces from the indentation (`a\r\n   b` may
 *   be `a  b` wrapped with one space of indentation, or `a b` with two), so such a secret is looked
 *   for with its own runs of whitespace read as one space too (`secretUnits(secret, "space")`).
 */
export type Breaks = "drop" | "space";

const isBreak = (c: number) => c === CR || c === LF;
const isBlank = (c: number) => c === SPACE || c === TAB;

/** Collects units, reading whitespace as `breaks` says. */
class ViewBuilder {
  readonly chars: Uint16Array;
  readonly starts: Int32Array;
  readonly ends: Int32Array;
  length = 0;
  /** Where the line break ("drop") or the run of whitespace ("space") being read began, or -1. */
  private runAt = -1;
  /** Where that run of whitespace ends so far ("space"). */
  private runEnd = -1;

  constructor(
    capacity: number,
    private readonly breaks: Breaks,
  ) {
    this.chars = new Uint16Array(capacity);
    this.starts = new Int32Array(capacity);
    this.ends = new Int32Array(capacity);
  }

  push(char: number, start: number, end: number): void {
    if (this.breaks === "space") {
      if (isBreak(char) || isBlank(char)) {
        if (this.runAt < 0) this.runAt = start;
        this.runEnd = end;
        return;
      }
      this.endRun();
    } else if (isBreak(char)) {
      if (this.runAt < 0) this.runAt = start;
      return;
    } else if (this.runAt >= 0) {
      if (isBlank(char)) return;
      this.runAt = -1;
    }
    this.add(char, start, end);
  }

  /** A run of whitespace read in "space" mode becomes one space spanning all of it. */
  private endRun(): void {
    if (this.runAt < 0) return;
    this.add(SPACE, this.runAt, this.runEnd);
    this.runAt = -1;
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
    if (this.breaks === "space") this.endRun();
    return { chars: this.chars, starts: this.starts, ends: this.ends, length: this.length };
  }
}

/** The text as written, line breaks (and the indentation after them) read as `breaks` says. */
export function rawView(text: string, breaks: Breaks = "drop"): TextView {
  // Never more units than characters: a run of whitespace reads as one unit at most.
  const b = new ViewBuilder(text.length, breaks);
  for (let i = 0; i < text.length; i++) b.push(text.charCodeAt(i), i, i + 1);
  return b.done();
}

/**
 * The units of a secret as a folded view read with `breaks` reads them (see `foldView`): what a
 * secret in a text read that way is found as.
 */
export function secretUnits(secret: string, breaks: Breaks = "drop"): Uint16Array {
  const v = foldView(rawView(secret, breaks));
  return v.chars.slice(0, v.length);
}

/**
 * A secret's units as forms change them, where they do: each space written `+` (a form encoder),
 * and each `+` read as a space (a form decoder that got the secret unencoded). Each is one whole
 * reading of the secret: a `+` of the text matches a space of the secret in the first, a space of
 * the text a `+` of the secret in the second, never both at once.
 */
export function formVariants(units: Uint16Array): Uint16Array[] {
  const out: Uint16Array[] = [];
  if (units.includes(SPACE)) out.push(units.map((c) => (c === SPACE ? PLUS : c)));
  if (units.includes(PLUS)) out.push(units.map((c) => (c === PLUS ? SPACE : c)));
  return out;
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
  const b = new ViewBuilder(v.length, breaks);
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
 * also matches expansions (`ß` and `SS`, `ᾀ` and `ἈΙ`). A space stays a space: a form's `+` for a
 * space is looked for as its own reading of the secret (see `formVariants`): a `+` of the secret
 * matching a space of the text right beside a space of the secret matching a `+` is no reading.
 */
const foldCache = new Map<number, string>();
function foldCodePoint(cp: number): string {
  if (cp < 128) return String.fromCharCode(cp >= 65 && cp <= 90 ? cp + 32 : cp);
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
      b.chars[n] = cp >= 65 && cp <= 90 ? cp + 32 : cp;
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
