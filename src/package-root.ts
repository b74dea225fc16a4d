// The package's own root, for files that are not modules (the stand-in's SDL) and for the store's
// worker thread. The same source runs as TypeScript from src/ (under the test runner) and as the
// build from dist/src/, one folder deeper, so a fixed number of `..` cannot serve both; the nearest
// folder holding package.json can (dist/ has none of its own).
import { existsSync } from "node:fs";
import * as path from "node:path";

/** The nearest folder at or above `from` that holds package.json: this package's root. */
export function packageRoot(from: string = __dirname): string {
  let dir = from;
  for (;;) {
    if (existsSync(path.join(dir, "package.json"))) return dir;
    const up = path.dirname(dir);
    if (up === dir) {
      throw new Error(
        `pulumi-sourcegraph-webhooks: no package.json in ${from} or any folder above it; the package's files were moved apart from its package.json (reinstall the package)`,
      );
    }
    dir = up;
  }
}
