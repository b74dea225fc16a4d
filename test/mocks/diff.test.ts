// Proves the resource names `sg-webhooks diff` prints are the ones the root program registers (what `pulumi preview` shows).
// The documentation's example stack file runs through the root program under mocks; every receiver
// and hook it registers must be named as the diff's view of the same file names it, and no other.
import { readFileSync } from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it, vi } from "vitest";
import { parse } from "yaml";
import { checkStackFile } from "../../src/review/check-declaration";
import { viewOf } from "../../src/review/declaration-view";
import { installMocks, resolved } from "../harness/mock-engine";

const ROOT = path.resolve(__dirname, "../..");
const HEAD = path.join(ROOT, "docs/examples/pr-diff/Pulumi.head.yaml");

/** Types whose resources the diff names: receivers and every kind of hook. */
const NAMED_TYPES = [
  "pulumi-nodejs:dynamic/sourcegraph:Receiver",
  "github:index/organizationWebhook:OrganizationWebhook",
  "github:index/repositoryWebhook:RepositoryWebhook",
  "pulumi-nodejs:dynamic/gitlab:ProjectHook",
  "pulumi-nodejs:dynamic/gitlab:GroupHook",
  "pulumi-nodejs:dynamic/bitbucketserver:Webhook",
  "pulumi-nodejs:dynamic/bitbucketcloud:Webhook",
];

/** The stack file's config as the engine passes it, each encrypted value decrypted to a made-up one. */
function engineConfig(file: string): Record<string, string> {
  const doc = parse(readFileSync(file, "utf8")) as { config: Record<string, unknown> };
  const decrypt = (v: unknown): unknown =>
    v && typeof v === "object" && "secure" in v
      ? "decrypted-value-0123456789abcdef"
      : Array.isArray(v)
        ? v.map(decrypt)
        : v && typeof v === "object"
          ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, decrypt(x)]))
          : v;
  return Object.fromEntries(
    Object.entries(doc.config).map(([k, v]) => {
      const plain = decrypt(v);
      return [k, typeof plain === "string" ? plain : JSON.stringify(plain)];
    }),
  );
}

describe("resource names", () => {
  it("every receiver and hook the program registers, named as diff names it", async () => {
    vi.resetModules();
    pulumi.runtime.setAllConfig(engineConfig(HEAD), []);
    const registered = await installMocks("sourcegraph-webhooks", "head");
    const program = await import("../../src/program/index");
    await resolved(program.hooks);
    const deployed = registered
      .filter((r) => NAMED_TYPES.includes(r.type))
      .map((r) => r.name)
      .sort();

    const view = viewOf(checkStackFile(HEAD, { env: {} }), {});
    const named = view.connections.flatMap((c) => [c.receiver, ...c.hooks.map((h) => h.resource)]).sort();
    expect(named).toEqual(deployed);
    expect(named.length).toBeGreaterThanOrEqual(10);
  });
});
