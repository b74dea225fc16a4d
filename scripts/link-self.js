#!/usr/bin/env node
// Pulumi runs the serialized dynamic providers from the program's directory, where they
// `require("pulumi-sourcegraph-webhooks/providers/<name>")`. In a user's project the package sits in
// node_modules; when this repository itself is the Pulumi project (the root program, the sandbox,
// the tests), it needs the same view: a link to itself in its own node_modules.
const fs = require("node:fs");
const path = require("node:path");

const root = path.resolve(__dirname, "..");
// Installed as someone's dependency: their node_modules already holds the package.
if (root.split(path.sep).includes("node_modules")) process.exit(0);

const link = path.join(root, "node_modules", "pulumi-sourcegraph-webhooks");
let current;
try {
  current = fs.readlinkSync(link);
} catch {
  current = undefined;
}
if (current !== undefined && path.resolve(path.dirname(link), current) === root) process.exit(0);
fs.mkdirSync(path.dirname(link), { recursive: true });
fs.rmSync(link, { force: true, recursive: false });
fs.symlinkSync(path.relative(path.dirname(link), root), link, "dir");
