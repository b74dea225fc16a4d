// Proves `npm pack` publishes nothing from test/, ships the SDL, and depends on what shipped code imports.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { builtinModules } from "node:module";
import * as path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";

const ROOT = path.resolve(__dirname, "../..");
const pkg = JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")) as {
  name: string;
  dependencies: Record<string, string>;
};
const BUILTINS = new Set(builtinModules);
/** require("x"), import("x") and, in declarations, `from "x"`: every way the build names a module. */
const SPECIFIERS = [/\brequire\(\s*"([^"]+)"\s*\)/g, /\bimport\(\s*"([^"]+)"\s*\)/g, /\bfrom\s+"([^"]+)"/g];

let packed: string[];
/** Each shipped module's bare imports (not relative, not Node's own), by file. */
const bareImports = new Map<string, Set<string>>();

/** `@scope/name/sub` -> `@scope/name`; `name/sub` -> `name`. */
function packageOf(specifier: string): string {
  const parts = specifier.split("/");
  return specifier.startsWith("@") ? parts.slice(0, 2).join("/") : parts[0]!;
}

beforeAll(() => {
  // The global setup has just built dist/; the prepare script would build it again.
  const out = execFileSync("npm", ["pack", "--dry-run", "--json", "--ignore-scripts"], {
    cwd: ROOT,
    encoding: "utf8",
  });
  packed = (JSON.parse(out) as Array<{ files: Array<{ path: string }> }>)[0]!.files.map((f) => f.path);
  for (const file of packed) {
    if (!/^dist\/(src|providers)\/.+\.(js|d\.ts)$/.test(file)) continue;
    const text = readFileSync(path.join(ROOT, file), "utf8");
    const found = new Set<string>();
    for (const re of SPECIFIERS) {
      for (const m of text.matchAll(re)) {
        const specifier = m[1]!;
        if (specifier.startsWith(".") || BUILTINS.has(specifier.replace(/^node:/, ""))) continue;
        found.add(packageOf(specifier));
      }
    }
    bareImports.set(file, found);
  }
});

describe("npm pack", () => {
  it("publishes nothing from test/", () => {
    expect(packed.length).toBeGreaterThan(0);
    expect(packed.filter((f) => /(^|\/)test\//.test(f))).toEqual([]);
  });

  it("publishes the compiled stand-ins with the SDL their Sourcegraph loads", () => {
    expect(packed).toEqual(
      expect.arrayContaining([
        "dist/src/stand-ins/sourcegraph/index.js",
        "dist/src/stand-ins/sourcegraph/schema.js",
        "src/stand-ins/sourcegraph/webhooks.graphql",
        "src/stand-ins/sourcegraph/webhooks-stubs.graphql",
      ]),
    );
  });

  it("has every runtime dependency imported by some shipped file", () => {
    const imported = new Set([...bareImports.values()].flatMap((s) => [...s]));
    expect(bareImports.size).toBeGreaterThan(0);
    expect(Object.keys(pkg.dependencies).filter((d) => !imported.has(d))).toEqual([]);
  });

  it("has every package a shipped file imports among the runtime dependencies", () => {
    const missing = [...bareImports].flatMap(([file, names]) =>
      [...names]
        .filter((n) => n !== pkg.name && !Object.hasOwn(pkg.dependencies, n))
        .map((n) => `${n} (${file})`),
    );
    expect(missing).toEqual([]);
  });
});
