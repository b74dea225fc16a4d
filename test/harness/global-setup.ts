// Vitest's global setup: links this checkout into its own node_modules and builds dist/ before any test.
import { execFileSync } from "node:child_process";
import * as path from "node:path";

/**
 * The serialized providers `require("pulumi-sourcegraph-webhooks/providers/<name>")` from the
 * program's directory, as they do in a user's project: give this checkout that view (the same
 * link `npm ci` makes) and a fresh `dist/`.
 */
export default function setup(): void {
  const root = path.resolve(__dirname, "../..");
  execFileSync(process.execPath, [path.join(root, "scripts", "link-self.js")], { stdio: "inherit" });
  if (!process.env.SG_WEBHOOKS_SKIP_BUILD) {
    execFileSync(
      process.execPath,
      [require.resolve("typescript/bin/tsc"), "-p", path.join(root, "tsconfig.json")],
      {
        stdio: "inherit",
      },
    );
  }
}
