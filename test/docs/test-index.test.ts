// Proves test/README.md links every test file, and every test file opens with a comment on what it proves.
import { readdirSync } from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT, read, relativeLinks } from "./markdown";

/** Every test file under test/, as a path relative to test/ (as the index links it). */
function testFiles(dir = ""): string[] {
  return readdirSync(path.join(ROOT, "test", dir), { withFileTypes: true }).flatMap((entry) => {
    const file = dir === "" ? entry.name : `${dir}/${entry.name}`;
    if (entry.isDirectory()) return entry.name === "fixtures" ? [] : testFiles(file);
    return entry.name.endsWith(".test.ts") ? [file] : [];
  });
}

describe("test/README.md, the index of the tests by subject and layer", () => {
  it("links every test file", () => {
    const linked = new Set(relativeLinks("test/README.md", read("test/README.md")).map((l) => l.target));
    const files = testFiles();
    expect(files.length).toBeGreaterThan(50);
    const missing = files.filter((f) => !linked.has(f));
    expect(missing, "add each to its subject's row in test/README.md").toEqual([]);
  });

  it("every test file opens with one line, a comment, on what it proves", () => {
    const without = testFiles().filter((f) => !/^\/\/ \S/.test(read(`test/${f}`).split("\n", 1)[0]!));
    expect(without, "open each with `// Proves …` (one line; details may follow)").toEqual([]);
  });
});
