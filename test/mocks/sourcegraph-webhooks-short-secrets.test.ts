// Proves the component warns about each declared secret shorter than 16 characters, never printing it.
// The component warns about every declared secret shorter than 16 characters, on itself, naming
// the field and never the value; a secret known only later (an output) is checked once known.
import * as pulumi from "@pulumi/pulumi";
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { SourcegraphWebhooks } from "../../src/components/sourcegraph-webhooks";
import { shortSecretWarning } from "../../src/components/validation";
import { installMocks, resolved } from "../harness/mock-engine";

const SHORT = "hunter2";
const LATER = "tiny-secret";
const LONG = "a-secret-long-enough-0123456789";

beforeAll(async () => {
  await installMocks();
});
afterEach(() => {
  vi.restoreAllMocks();
});

describe("short secrets in a declaration", () => {
  it("shortSecretWarning names the field and the minimum, never the value", () => {
    const w = shortSecretWarning("gitlab[0].secret", SHORT);
    expect(w).toContain("gitlab[0].secret");
    expect(w).toContain("16 characters");
    expect(w).not.toContain(SHORT);
    expect(shortSecretWarning("gitlab[0].secret", "x".repeat(16))).toBeUndefined();
    // Characters, not UTF-16 units: 15 emoji are 30 units and still 15 characters.
    expect(shortSecretWarning("github[0].secret", "🔑".repeat(15))).toBeDefined();
  });

  it("the component warns on itself for each short secret, plain or an output, and for no other", async () => {
    const warnings: Array<{ msg: string; resource: pulumi.Resource | undefined }> = [];
    vi.spyOn(pulumi.log, "warn").mockImplementation(async (msg, resource) => {
      warnings.push({ msg, resource });
    });
    const c = new SourcegraphWebhooks("short", {
      sourcegraph: { endpoint: "https://sg.example.com", accessToken: "sgp_token" },
      github: [{ organizations: ["acme"], secret: LONG }],
      gitlab: [
        { url: "https://gitlab.example.com", projects: ["a/b"], secret: SHORT },
        { url: "https://gitlab.other.example.com", projects: ["c/d"] },
      ],
      bitbucketServer: [{ url: "https://bbs.example.com", secret: pulumi.secret(pulumi.output(LATER)) }],
      bitbucketCloud: [{ workspaces: ["w"], secret: false }],
    });
    await resolved(c.urn);
    await resolved(c.receivers);
    await vi.waitFor(() => expect(warnings).toHaveLength(2));
    // Nothing more comes once every secret is known.
    await new Promise((r) => setTimeout(r, 100));
    expect(warnings).toHaveLength(2);
    expect(warnings.map((w) => w.msg.split(":")[0]).sort()).toEqual([
      "bitbucketServer[0].secret",
      "gitlab[0].secret",
    ]);
    for (const w of warnings) {
      expect(w.resource).toBe(c);
      expect(w.msg).not.toContain(SHORT);
      expect(w.msg).not.toContain(LATER);
    }
  });
});
