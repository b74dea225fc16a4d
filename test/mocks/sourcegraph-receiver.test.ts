// SourcegraphReceiver under pulumi.runtime.setMocks: its type token, its inputs, and which values
// travel as secrets. The provider text it would store (__provider) holds no credential.
import * as pulumi from "@pulumi/pulumi";
import { beforeAll, describe, expect, it } from "vitest";

const SECRET_SIG = "4dabf18193072939515e22adb298388d";
const TOKEN = "sgp_mocktoken0123456789abcdef0123456789abcdef";
const SECRET = "MockSecret0123456789abcdefABCDEF";

interface Registration {
  type: string;
  name: string;
  inputs: Record<string, any>;
  secretOutputs: string[];
}
const registered: Registration[] = [];

const isSecretValue = (v: unknown): v is { value: unknown } =>
  typeof v === "object" && v !== null && SECRET_SIG in v;
const unsecret = (v: any): any => (isSecretValue(v) ? v.value : v);

beforeAll(async () => {
  // The mocks hide resource options; read additionalSecretOutputs from the request itself.
  const mocks = require("@pulumi/pulumi/runtime/mocks");
  const original = mocks.MockMonitor.prototype.registerResource;
  mocks.MockMonitor.prototype.registerResource = function (req: any, callback: any) {
    pending.set(req.getName(), req.getAdditionalsecretoutputsList());
    return original.call(this, req, callback);
  };
  await pulumi.runtime.setMocks(
    {
      newResource(args) {
        registered.push({
          type: args.type,
          name: args.name,
          inputs: args.inputs,
          secretOutputs: pending.get(args.name) ?? [],
        });
        const n = args.name;
        return {
          id: `V2ViaG9vazox-${n}`,
          state: { ...args.inputs, uuid: `uuid-${n}`, url: `https://sg.test/.api/webhooks/uuid-${n}` },
        };
      },
      call: (args) => args.inputs,
    },
    "sgw",
    "test",
    false,
  );
});
const pending = new Map<string, string[]>();

async function settle(r: pulumi.Resource): Promise<void> {
  await new Promise<void>((resolve) => r.urn.apply(() => resolve()));
  await new Promise((r) => setTimeout(r, 20));
}

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
    expect(isSecretValue(reg.inputs.sourcegraph)).toBe(true);
    expect(unsecret(reg.inputs.sourcegraph)).toEqual({
      endpoint: "https://sg.example.com",
      accessToken: TOKEN,
    });

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
    const url = await new Promise((resolve) => r.url.apply(resolve));
    expect(url).toBe("https://sg.test/.api/webhooks/uuid-gh");
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
    expect(isSecretValue(reg.inputs.sourcegraph)).toBe(true);
    expect(unsecret(reg.inputs.sourcegraph)).toEqual({ accessToken: TOKEN });
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
