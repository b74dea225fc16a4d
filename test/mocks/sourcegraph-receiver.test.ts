// Proves SourcegraphReceiver registers its type token, inputs and secrets, and stores no credential.
// SourcegraphReceiver under pulumi.runtime.setMocks: its type token, its inputs, and which values
// travel as secrets. The provider text it would store (__provider) holds no credential.
import * as pulumi from "@pulumi/pulumi";
import { beforeAll, describe, expect, it } from "vitest";
import {
  isSecretValue,
  mockResources,
  type Registered,
  resolved,
  secretValue,
  settle,
  unsecret,
} from "../harness/mock-engine";

const TOKEN = "fake-sg-mocktoken-0123456789abcdef0123456789abcdef";
const SECRET = "MockSecret0123456789abcdefABCDEF";

let registered: Registered[];

beforeAll(async () => {
  registered = await mockResources((r) => {
    const n = r.name;
    return {
      id: `V2ViaG9vazox-${n}`,
      state: { ...r.inputs, uuid: `uuid-${n}`, url: `https://sg.test/.api/webhooks/uuid-${n}` },
    };
  });
});

describe("SourcegraphReceiver under mocks", () => {
  it("registers pulumi-nodejs:dynamic/sourcegraph:Receiver with the declared inputs and a default name", async () => {
    const { SourcegraphReceiver } = await import("../../src");
    const r = new SourcegraphReceiver("gh", {
      codeHostKind: "GITHUB",
      codeHostUrn: "https://github.com",
      secret: SECRET,
      sourcegraph: { endpoint: "https://sg.example.com", accessToken: TOKEN },
    });
    await settle(r);
    const reg = registered.find((x) => x.name === "gh")!;
    expect(reg.type).toBe("pulumi-nodejs:dynamic/sourcegraph:Receiver");
    expect(reg.inputs).toMatchObject({
      codeHostKind: "GITHUB",
      codeHostUrn: "https://github.com",
      webhookName: "sgw-test-gh",
    });
    expect(reg.secretOutputs).toEqual(expect.arrayContaining(["secret", "sourcegraph"]));

    // The secret and the token arrive as secrets.
    expect(isSecretValue(reg.inputs.secret)).toBe(true);
    expect(unsecret(reg.inputs.secret)).toBe(SECRET);
    expect(reg.inputs.sourcegraph).toEqual(
      secretValue({ endpoint: "https://sg.example.com", accessToken: TOKEN }),
    );

    // The provider text captures neither, nor does any input that is not secret.
    const text = reg.inputs.__provider as string;
    expect(typeof text).toBe("string");
    expect(text).toContain("pulumi-sourcegraph-webhooks/providers/");
    for (const [k, v] of Object.entries(reg.inputs)) {
      if (isSecretValue(v)) continue;
      expect(JSON.stringify(v), k).not.toContain(TOKEN);
      expect(JSON.stringify(v), k).not.toContain(SECRET);
    }

    expect(await pulumi.isSecret(r.secret)).toBe(true);
    expect(await resolved(r.url)).toBe("https://sg.test/.api/webhooks/uuid-gh");
  });

  it("passes secret: false and adopt, honours webhookName, and marks an Output token secret", async () => {
    const { SourcegraphReceiver } = await import("../../src");
    const r = new SourcegraphReceiver("bbc", {
      codeHostKind: "BITBUCKETCLOUD",
      codeHostUrn: "https://bitbucket.org",
      webhookName: "my-receiver",
      secret: false,
      adopt: true,
      sourcegraph: pulumi.output({ accessToken: TOKEN }),
    });
    await settle(r);
    const reg = registered.find((x) => x.name === "bbc")!;
    expect(reg.inputs.webhookName).toBe("my-receiver");
    expect(reg.inputs.adopt).toBe(true);
    expect(unsecret(reg.inputs.secret)).toBe(false);
    expect(reg.inputs.sourcegraph).toEqual(secretValue({ accessToken: TOKEN }));
    expect(reg.inputs.__provider).not.toContain(TOKEN);
  });

  it("leaves secret and sourcegraph out when not given (environment fallbacks)", async () => {
    const { SourcegraphReceiver } = await import("../../src");
    const r = new SourcegraphReceiver("gl", { codeHostKind: "GITLAB", codeHostUrn: "https://gitlab.com" });
    await settle(r);
    const reg = registered.find((x) => x.name === "gl")!;
    expect(reg.inputs.secret).toBeUndefined();
    expect(reg.inputs.sourcegraph).toBeUndefined();
    expect(reg.inputs.webhookName).toBe("sgw-test-gl");
  });
});
