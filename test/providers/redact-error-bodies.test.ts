// Proves no provider's error message carries a credential a server echoed, even when cut short across it.
// What a server's error body may carry into a message: an echo of the request (a proxy's debug
// page, a misconfigured gateway) holds the credential, and a long body must not flood the output.
// Every provider cuts the echo short; a credential straddling the cut must not survive half-way.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { provider as bitbucketCloud } from "../../providers/bitbucket-cloud";
import { provider as bitbucketServer } from "../../providers/bitbucket-server";
import { projectHookProvider as gitlab } from "../../providers/gitlab";
import { provider as sourcegraph } from "../../providers/sourcegraph";
import { type FakeServer, startFakeServer, text } from "../../src/stand-ins/server";

const TOKEN = "tok-0123456789abcdefghijklmnopqrstuv";
const EMAIL = "ops@example.com";
const BASIC = Buffer.from(`${EMAIL}:${TOKEN}`).toString("base64");
// The longest excerpt any provider keeps: a longer message means the body was not bounded.
const MAX_MESSAGE = 2000;

let server: FakeServer;
let body = "";
beforeAll(async () => {
  process.env.SG_WEBHOOKS_RETRY_BASE_MS = "5";
  server = await startFakeServer(() => text(500, body));
});
afterAll(async () => {
  await server.close();
});
beforeEach(() => {
  for (const k of ["SRC_ACCESS_TOKEN", "GITLAB_TOKEN", "BITBUCKET_SERVER_TOKEN", "BITBUCKET_CLOUD_TOKEN"]) {
    delete process.env[k];
  }
});

async function failure(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    return (err as Error).message;
  }
  throw new Error("expected a failure");
}

/** The secret over and over, shifted by `shift` characters, then a long tail. */
function echoes(secret: string, shift: number): string {
  return `${"x".repeat(shift)}${`${secret} `.repeat(30)}${"y".repeat(20_000)}`;
}

function expectClean(message: string, secret: string): void {
  expect(message.length).toBeLessThan(MAX_MESSAGE);
  // No piece of the secret long enough to tell anything (six characters, from any offset).
  for (let n = 6; n <= secret.length; n++) expect(message).not.toContain(secret.slice(0, n));
}

const reads: Record<string, () => Promise<unknown>> = {
  sourcegraph: () =>
    sourcegraph.read("V2ViaG9vazox", {
      schemaVersion: 1,
      webhookId: "V2ViaG9vazox",
      endpoint: server.url,
      sourcegraph: { accessToken: TOKEN },
    }),
  gitlab: () =>
    gitlab.read("1", {
      schemaVersion: 1,
      hookId: 1,
      gitlabUrl: server.url,
      gitlabToken: TOKEN,
      project: "a/b",
      projectId: 1,
    }),
  bitbucketServer: () =>
    bitbucketServer.read("1", {
      schemaVersion: 1,
      instanceUrl: server.url,
      bitbucketServer: { token: TOKEN },
      webhookName: "n",
      secret: "hook-secret",
    }),
  bitbucketCloud: () =>
    bitbucketCloud.read("{1}", {
      schemaVersion: 1,
      uuid: "{1}",
      apiUrl: `${server.url}/2.0`,
      workspace: "acme",
      bitbucketCloud: { token: TOKEN },
    }),
};

describe("a 5xx body in an error message", () => {
  for (const [name, read] of Object.entries(reads)) {
    it(`${name}: bounded, and no part of the token survives the cut`, async () => {
      // Shifting the echo by every offset puts the token across wherever the excerpt ends.
      for (let shift = 0; shift <= TOKEN.length; shift++) {
        body = echoes(TOKEN, shift);
        const message = await failure(read());
        expect(message).toContain("500");
        expectClean(message, TOKEN);
      }
    });
  }

  // A proxy's debug page or a gateway echoes the request in its own encoding, not as it was sent.
  const forms: Record<string, string> = {
    "upper-cased": TOKEN.toUpperCase(),
    "JSON \\u-escaped": [...TOKEN].map((c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`).join(""),
    "percent-encoded": [...TOKEN].map((c) => `%${c.charCodeAt(0).toString(16)}`).join(""),
    base64: Buffer.from(TOKEN).toString("base64"),
    "in a Basic pair": Buffer.from(`oauth2:${TOKEN}`).toString("base64"),
    "wrapped over lines": `${TOKEN.slice(0, 12)}\r\n  ${TOKEN.slice(12)}`,
  };
  for (const [name, read] of Object.entries(reads)) {
    it(`${name}: the token echoed in another form is redacted`, async () => {
      for (const [how, form] of Object.entries(forms)) {
        body = `{"message":"upstream said: ${form.replace(/\r\n/g, "\\r\\n")} (bad token)"}\n${form}`;
        const message = await failure(read());
        expect(message, how).toContain("500");
        expect(message, how).not.toContain(form);
        expect(message, how).not.toContain(form.slice(0, 12));
      }
    });
  }

  it("bitbucketCloud: an echoed Basic header (e-mail and API token) is redacted", async () => {
    body = `request headers: authorization: Basic ${BASIC}`;
    const message = await failure(
      bitbucketCloud.read("{1}", {
        schemaVersion: 1,
        uuid: "{1}",
        apiUrl: `${server.url}/2.0`,
        workspace: "acme",
        bitbucketCloud: { email: EMAIL, apiToken: TOKEN },
      }),
    );
    expect(message).toContain("500");
    expect(message).not.toContain(BASIC);
  });
});
