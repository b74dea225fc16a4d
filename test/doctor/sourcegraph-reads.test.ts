// Sourcegraph reads doctor adds: every operation the client sends validates against Sourcegraph's
// SDL (the stand-in's), and a code host connection's JSONC config yields its url and nothing else.
import { parse, validate } from "graphql";
import { describe, expect, it } from "vitest";
import { configUrl, OPERATIONS, stripJsonc } from "../../providers/sourcegraph";
import { loadSchema } from "../../src/stand-ins/sourcegraph/schema";

describe("Sourcegraph operations", () => {
  const schema = loadSchema();
  for (const [name, text] of Object.entries(OPERATIONS)) {
    it(`${name} is valid against the SDL`, () => {
      expect(validate(schema, parse(text)).map((e) => e.message)).toEqual([]);
    });
  }

  it("a field the SDL lacks fails validation (the check above can fail)", () => {
    const without = loadSchema(["WebhookLog.statusCode"]);
    expect(validate(without, parse(OPERATIONS.WebhookLogs)).length).toBeGreaterThan(0);
  });
});

describe("configUrl", () => {
  it("reads url from JSONC with comments and trailing commas", () => {
    const config = `{
      // the code host
      "url": "https://gitlab.example.com", /* not "url": "https://other" */
      "token": "REDACTED",
      "projectQuery": ["groups/a//b", ],
    }`;
    expect(configUrl(config)).toBe("https://gitlab.example.com");
    expect(JSON.parse(stripJsonc(config)).projectQuery).toEqual(["groups/a//b"]);
  });

  it("is undefined without a url or for text that does not parse", () => {
    expect(configUrl('{"token": "x"}')).toBeUndefined();
    expect(configUrl("{ nope")).toBeUndefined();
    expect(configUrl('{"url": ""}')).toBeUndefined();
  });

  it("keeps an escaped quote and a // inside a string", () => {
    expect(configUrl('{"displayName": "a \\" // b", "url": "https://ghe.example.com"}')).toBe(
      "https://ghe.example.com",
    );
  });
});
