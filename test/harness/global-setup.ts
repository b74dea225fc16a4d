import { execFileSync } from "node:child_process";
import { existsSync, lstatSync, mkdirSync, symlinkSync } from "node:fs";
import * as path from "node:path";

/**
 * The serialized providers `require("pulumi-sourcegraph-webhooks/providers/<name>")` from the
 * program's directory, as they do in a user's project. Give this checkout that view: a link to
 * itself in its own node_modules, and a fresh `dist/`.
 */
export default function setup(): void {
  const root = path.resolve(__dirname, "../..");
  const link = path.join(root, "node_modules", "pulumi-sourcegraph-webhooks");
  if (!existsSync(link) && !isDanglingLink(link)) {
    mkdirSync(path.dirname(link), { recursive: true });
    symlinkSync(root, link, "dir");
  }
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

function isDanglingLink(p: string): boolean {
  try {
    return lstatSync(p).isSymbolicLink();
  } catch {
    return false;
  }
}
