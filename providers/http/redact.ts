// Removes secrets from text that came from elsewhere (a server's error body, an answer that echoes
// the request) before it reaches an error message, a log line or a store. A server or a proxy may
// echo a secret in another form than the one sent, so every reading below is searched:
// - as written, and case-insensitively (a proxy may upper-case what it echoes);
// - URL-encoded (`%XX` in either case of hex, a form's `+` for a space), once or twice;
// - JSON- or JavaScript-escaped (`\u003d`, `\/`, `\"`, `\x3d`) and HTML-escaped (`&#x3d;`, `&amp;`);
// - wrapped over lines (a line break and the spaces after it, anywhere inside the secret, also
//   next to the secret's own spaces, whose count the indentation then blurs);
// - base64 or base64url, alone or inside a larger value such as a Basic pair `user:token`: every
//   base64 run of the text is decoded and searched (every reading above), so the base64 of
//   `anything:<secret>` is found without knowing `anything`. Such a run is redacted whole.
// Every occurrence of every secret is found in the text as given, then overlapping or adjacent
// finds merge into one `[redacted]`: two secrets that overlap or contain each other leave no piece
// of either. Secrets are redacted whatever their length: a secret of one or two characters mangles
// the text, but a leak is worse than a mangled message (the relay and the component warn about
// secrets shorter than 16 characters).
// The work is linear in the text, bounded by a window: beyond it, the text is cut before it is read.
import {
  type Breaks,
  decodeView,
  foldView,
  formVariants,
  rawView,
  secretUnits,
  type TextView,
} from "./text-views";

export const REDACTED = "[redacted]";

/** The most characters `redact` reads; a longer text is cut (with `…`) and only this much redacted. */
export const MAX_REDACTED_CHARS = 64 * 1024;

type Secrets = ReadonlyArray<string | undefined>;

/** A secret's units, case-folded, with its KMP failure table. */
interface Needle {
  readonly units: Uint16Array;
  readonly failure: Int32Array;
}

/** The needles for a secret's units: as they are, and as forms change them (`formVariants`). */
function needles(units: Uint16Array): Needle[] {
  return units.length === 0 ? [] : [units, ...formVariants(units)].map(needle);
}

function needle(units: Uint16Array): Needle {
  const failure = new Int32Array(units.length);
  for (let i = 1, k = 0; i < units.length; i++) {
    while (k > 0 && units[i] !== units[k]) k = failure[k - 1]!;
    if (units[i] === units[k]) k++;
    failure[i] = k;
  }
  return { units, failure };
}

/** The secrets to look for in one reading: in the text, and as UTF-8 bytes in decoded base64. */
interface Needles {
  readonly text: readonly Needle[];
  readonly bytes: readonly Needle[];
}

/** The secrets to look for, as each way of reading whitespace finds them (see `Breaks`). */
interface Search {
  readonly needles: Readonly<Record<Breaks, Needles>>;
  /** The shortest base64 run that can hold a secret. */
  readonly minRun: number;
  /** The longest secret, in characters. */
  readonly longest: number;
  /** Whether a secret holds a space or a tab (line breaks then also read as a space). */
  readonly spaced: boolean;
}

function prepare(secrets: Secrets): Search {
  const distinct = [...new Set(secrets.filter((s): s is string => typeof s === "string" && s !== ""))];
  const found: Record<Breaks, { text: Needle[]; bytes: Needle[] }> = {
    drop: { text: [], bytes: [] },
    space: { text: [], bytes: [] },
  };
  let minBytes = Infinity;
  let longest = 0;
  for (const s of distinct) {
    const utf8 = Buffer.from(s, "utf8").toString("latin1");
    for (const breaks of ["drop", "space"] as const) {
      found[breaks].text.push(...needles(secretUnits(s, breaks)));
      found[breaks].bytes.push(...needles(secretUnits(utf8, breaks)));
    }
    minBytes = Math.min(minBytes, utf8.length);
    longest = Math.max(longest, s.length);
  }
  const spaced = distinct.some((s) => /[ \t]/.test(s));
  return { needles: found, minRun: Math.ceil((minBytes * 4) / 3), longest, spaced };
}

/** A reading of a text, with how it read whitespace: that says which needles to look for in it. */
interface Reading {
  readonly breaks: Breaks;
  readonly view: TextView;
}

/**
 * Every reading of `text` searched for secrets (see the file's head). Line breaks read as nothing;
 * when a secret holds a space or a tab, also every run of whitespace as one space.
 */
function readings(text: string, spaced: boolean): Reading[] {
  const out: Reading[] = [];
  for (const breaks of spaced ? (["drop", "space"] as const) : (["drop"] as const)) {
    const raw = rawView(text, breaks);
    out.push({ breaks, view: raw });
    const escaped =
      text.includes("\\") || text.includes("&")
        ? decodeView(raw, { percent: false, escapes: true }, breaks)
        : undefined;
    if (escaped) out.push({ breaks, view: escaped });
    // Percent-decoding is the only pass the escapes-only reading does not already cover.
    if (text.includes("%")) {
      const decoded = decodeView(raw, { percent: true, escapes: true }, breaks);
      if (decoded) {
        out.push({ breaks, view: decoded });
        const twice = decodeView(decoded, { percent: true, escapes: true }, breaks);
        if (twice) out.push({ breaks, view: twice });
      }
    }
  }
  return out;
}

/** Knuth-Morris-Pratt over a view: linear, whatever the secret repeats. Pushes [start, end) pairs. */
function searchView(v: TextView, n: Needle, spans: number[]): void {
  const m = n.units.length;
  let q = 0;
  for (let i = 0; i < v.length; i++) {
    const c = v.chars[i]!;
    while (q > 0 && n.units[q] !== c) q = n.failure[q - 1]!;
    if (n.units[q] === c) q++;
    if (q === m) {
      spans.push(v.starts[i - m + 1]!, v.ends[i]!);
      q = n.failure[q - 1]!;
    }
  }
}

/** Both base64 alphabets: `+/` and the URL-safe `-_` (Node's decoder reads either). */
const BASE64 = new Uint8Array(128);
for (const c of "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/-_")
  BASE64[c.charCodeAt(0)] = 1;
const isBase64 = (c: number) => c < 128 && BASE64[c] === 1;

function unitsToString(v: TextView, from: number, to: number): string {
  let s = "";
  for (let i = from; i < to; i += 8192) {
    s += String.fromCharCode(...v.chars.subarray(i, Math.min(to, i + 8192)));
  }
  return s;
}

/**
 * True when a base64 run decodes to something that holds a secret. The run may start anywhere in
 * the encoding (glued to the text before it), so each of the four alignments is tried.
 */
function holdsSecret(run: string, search: Search): boolean {
  for (let k = 0; k < 4 && run.length - k >= search.minRun; k++) {
    const decoded = Buffer.from(run.slice(k), "base64").toString("latin1");
    for (const { breaks, view } of readings(decoded, search.spaced)) {
      const folded = foldView(view);
      for (const n of search.needles[breaks].bytes) {
        const found: number[] = [];
        searchView(folded, n, found);
        if (found.length > 0) return true;
      }
    }
  }
  return false;
}

function searchBase64(v: TextView, search: Search, spans: number[], seen: Map<string, boolean>): void {
  let i = 0;
  while (i < v.length) {
    if (!isBase64(v.chars[i]!)) {
      i++;
      continue;
    }
    let j = i + 1;
    while (j < v.length && isBase64(v.chars[j]!)) j++;
    // The padding goes with the run it ends; it carries no bits.
    let end = j;
    while (end < v.length && end < j + 2 && v.chars[end] === 61) end++;
    if (j - i >= search.minRun) {
      // Readings often share a run: decode each distinct run once.
      const run = unitsToString(v, i, j);
      let hit = seen.get(run);
      if (hit === undefined) {
        hit = holdsSecret(run, search);
        seen.set(run, hit);
      }
      if (hit) spans.push(v.starts[i]!, v.ends[end - 1]!);
    }
    i = end;
  }
}

/** Sorted, merged [start, end) spans to redact, leaving out finds inside an earlier `[redacted]`. */
function findSpans(text: string, search: Search): Array<[number, number]> {
  const flat: number[] = [];
  const seen = new Map<string, boolean>();
  for (const { breaks, view } of readings(text, search.spaced)) {
    const folded = foldView(view);
    for (const n of search.needles[breaks].text) searchView(folded, n, flat);
    searchBase64(view, search, flat, seen);
  }
  const pairs: Array<[number, number]> = [];
  for (let i = 0; i < flat.length; i += 2) pairs.push([flat[i]!, flat[i + 1]!]);
  pairs.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  // Text redacted twice (an excerpt inside a message redacted again) keeps its markers intact, even
  // when a short secret is a piece of the word "redacted".
  const markers: number[] = [];
  for (let at = text.indexOf(REDACTED); at >= 0; at = text.indexOf(REDACTED, at + REDACTED.length)) {
    markers.push(at);
  }
  const merged: Array<[number, number]> = [];
  let m = 0;
  for (const [start, end] of pairs) {
    while (m < markers.length && markers[m]! + REDACTED.length <= start) m++;
    if (m < markers.length && markers[m]! <= start && end <= markers[m]! + REDACTED.length) continue;
    const last = merged[merged.length - 1];
    if (last && start <= last[1]) last[1] = Math.max(last[1], end);
    else merged.push([start, end]);
  }
  return merged;
}

/**
 * The text as pieces (plain text and markers), reading at most `window` characters. When the text
 * is longer, only its first half of the window is kept: a secret cut by the window's edge may have
 * gone unrecognised, and every form of one is far shorter than half a window.
 */
function redactPieces(text: string, secrets: Secrets, window: number): { pieces: string[]; cut: boolean } {
  const search = prepare(secrets);
  if (search.needles.drop.text.length === 0 || text === "") {
    const cut = text.length > window;
    return { pieces: [cut ? text.slice(0, window) : text], cut };
  }
  const size = Math.max(window, search.longest * 16);
  const cut = text.length > size;
  const read = cut ? text.slice(0, size) : text;
  const keep = cut ? Math.floor(size / 2) : read.length;
  const pieces: string[] = [];
  let at = 0;
  for (const [start, end] of findSpans(read, search)) {
    if (start >= keep) break;
    if (start > at) pieces.push(read.slice(at, start));
    pieces.push(REDACTED);
    at = end;
  }
  if (at < keep) pieces.push(read.slice(at, keep));
  return { pieces, cut };
}

/**
 * Removes every known secret, in every form listed at the head of this file, from a text before
 * it reaches an error message, a log line or a store. Texts longer than `MAX_REDACTED_CHARS` are
 * cut, and end with `…`.
 */
export function redact(text: string, secrets: Secrets): string {
  const { pieces, cut } = redactPieces(text, secrets, MAX_REDACTED_CHARS);
  return cut ? `${pieces.join("")}…` : pieces.join("");
}

/**
 * A server's answer, shortened for an error message. Redacted before it is cut: cutting first
 * could split a secret, and the part left in the message would no longer match it. A cut never
 * splits a `[redacted]` marker.
 */
export function excerpt(text: string, secrets: Secrets, max = 300): string {
  const { pieces, cut } = redactPieces(text.trim(), secrets, Math.max(1024, max * 4));
  let out = "";
  for (const p of pieces) {
    if (out.length + p.length <= max) {
      out += p;
      continue;
    }
    if (p !== REDACTED) out += p.slice(0, max - out.length);
    return `${out}…`;
  }
  return cut ? `${out}…` : out;
}
