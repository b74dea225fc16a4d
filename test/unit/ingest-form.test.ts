// Proves formField reads a form body as Go's url.ParseQuery does, in one linear pass.
// formField reads a form body as Go's url.ParseQuery does, in one pass: checked against a plain
// second reading (split on `&`, then on the first `=`, then unescape) on random forms, and on a
// body of millions of pairs.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { formField } from "../../src/ingest/media-type";

/** Go's QueryUnescape: `%` must be followed by two hex digits; `+` is a space; the bytes are UTF-8. */
function goUnescape(s: string): string | undefined {
  if (/%(?![0-9a-fA-F]{2})/.test(s)) return undefined;
  const bytes = s
    .replace(/\+/g, " ")
    .replace(/%([0-9a-fA-F]{2})/g, (_, h: string) => String.fromCharCode(Number.parseInt(h, 16)));
  return Buffer.from(bytes, "latin1").toString("utf8");
}

/** Go's parseQuery: any pair with `;` or a bad escape is an error; empty pairs are skipped. */
function reference(body: Buffer, name: string): string | undefined {
  let found: string | undefined;
  for (const pair of body.toString("latin1").split("&")) {
    if (pair.includes(";")) return undefined;
    if (pair === "") continue;
    const eq = pair.indexOf("=");
    const key = goUnescape(eq < 0 ? pair : pair.slice(0, eq));
    const value = goUnescape(eq < 0 ? "" : pair.slice(eq + 1));
    if (key === undefined || value === undefined) return undefined;
    if (key === name && found === undefined) found = value;
  }
  return found ?? "";
}

const piece = fc.constantFrom(
  "payload",
  "p%61yload",
  "PAYLOAD",
  "pay+load",
  "payload+",
  "%70ayload",
  "a",
  "",
  "=",
  "&",
  "%",
  "%4",
  "%zz",
  "%e2%9c%93",
  "%C3%A9",
  ";",
  "+",
  "%7B%22a%22%3A1%7D",
  "é",
);
const form = fc.array(piece, { maxLength: 12 }).map((parts) => Buffer.from(parts.join(""), "utf8"));

describe("formField", () => {
  it("agrees with Go's ParseQuery on random forms", () => {
    fc.assert(
      fc.property(form, fc.constantFrom("payload", "a", "", "é"), (body, name) => {
        expect(formField(body, name)).toEqual(reference(body, name));
      }),
      { numRuns: 5000 },
    );
  });

  it("known cases: first value wins, escaped keys match, a bare key is empty, `;` and bad escapes fail", () => {
    const f = (s: string) => formField(Buffer.from(s), "payload");
    expect(f("payload=%7B%7D&payload=x")).toBe("{}");
    expect(f("a=1&p%61yload=%E2%9C%93")).toBe("✓");
    expect(f("payload")).toBe("");
    expect(f("a=b")).toBe("");
    expect(f("payload=a+b")).toBe("a b");
    expect(f("payload=x;y")).toBeUndefined();
    expect(f("payload=x&a=%4")).toBeUndefined();
    expect(f("a=%zz&payload=x")).toBeUndefined();
  });

  it("a body of six million pairs: the field after them, or none", () => {
    const pairs = Buffer.alloc(23 * 1024 * 1024);
    for (let i = 0; i < pairs.length; i += 4) pairs.write("a=b&", i, "latin1");
    expect(formField(pairs, "payload")).toBe("");
    const tail = Buffer.concat([pairs, Buffer.from("payload=%7B%22a%22%3A1%7D")]);
    expect(formField(tail, "payload")).toBe('{"a":1}');
  });
});
