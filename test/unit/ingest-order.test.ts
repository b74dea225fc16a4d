// Proves verifyDelivery checks the HMAC over the raw bytes before it parses anything.
// The order of work in verifyDelivery: the HMAC over the raw bytes comes before any parsing, so a
// body with a bogus signature costs the HMAC and nothing more; and what the headers alone decide
// (verifyHeaders) is what verifyDelivery answers too.
import { beforeEach, describe, expect, it, vi } from "vitest";
import { sign, verifyDelivery, verifyHeaders } from "../../src/ingest";
import * as mediaType from "../../src/ingest/media-type";

vi.mock("../../src/ingest/media-type", async (importOriginal) => {
  const original = await importOriginal<typeof import("../../src/ingest/media-type")>();
  return { ...original, formField: vi.fn(original.formField) };
});

const formField = vi.mocked(mediaType.formField);
const FORM = "application/x-www-form-urlencoded";

beforeEach(() => {
  formField.mockClear();
});

describe("GitHub form bodies: the signature first", () => {
  it("a 23 MB form body with a bogus signature is refused without being parsed", async () => {
    const body = Buffer.alloc(23 * 1024 * 1024);
    for (let i = 0; i < body.length; i += 4) body.write("a=b&", i, "latin1");
    const headers = {
      "content-type": FORM,
      "x-github-event": "push",
      "x-hub-signature-256": sign("sha256", "not the secret", body),
    };
    expect(await verifyDelivery({ kind: "GITHUB", headers, body, secrets: ["secret"] })).toMatchObject({
      ok: false,
      status: 400,
      reason: "bad_signature",
    });
    // Counted, not matched: a failure message would print the 23 MB argument.
    expect(formField.mock.calls.length).toBe(0);
  });

  it("a form that does not parse is still refused with Sourcegraph's 400, after its signature matched", async () => {
    const body = Buffer.from("payload=%zz");
    const headers = {
      "content-type": FORM,
      "x-github-event": "push",
      "x-hub-signature": sign("sha1", "k", body),
    };
    expect(await verifyDelivery({ kind: "GITHUB", headers, body, secrets: ["k"] })).toMatchObject({
      ok: false,
      status: 400,
      message: "Could not validate payload with secret.",
    });
    expect(formField).toHaveBeenCalledTimes(1);
  });

  it("a signed form is parsed once, and its payload decides the event's fate", async () => {
    const body = Buffer.from(`payload=${encodeURIComponent('{"zen":"ok"}')}&a=b`);
    const headers = {
      "content-type": FORM,
      "x-github-event": "ping",
      "x-hub-signature-256": sign("sha256", "k", body),
    };
    expect(await verifyDelivery({ kind: "GITHUB", headers, body, secrets: ["k"] })).toEqual({
      ok: true,
      event: "ping",
    });
    expect(formField).toHaveBeenCalledTimes(1);
  });
});

describe("verifyHeaders: what the headers alone decide", () => {
  const body = Buffer.from('{"object_kind":"push"}');
  const cases: {
    name: string;
    kind: "GITHUB" | "GITLAB" | "BITBUCKETSERVER" | "BITBUCKETCLOUD";
    headers: Record<string, string>;
    secrets: string[];
    want: "sender_verified" | "body_decides" | 400;
  }[] = [
    {
      name: "GitLab, right token",
      kind: "GITLAB",
      headers: { "X-Gitlab-Token": "k" },
      secrets: ["j", "k"],
      want: "sender_verified",
    },
    {
      name: "GitLab, wrong token",
      kind: "GITLAB",
      headers: { "X-Gitlab-Token": "x" },
      secrets: ["k"],
      want: 400,
    },
    { name: "GitLab, no token", kind: "GITLAB", headers: {}, secrets: ["k"], want: 400 },
    { name: "GitLab, no secret", kind: "GITLAB", headers: {}, secrets: [], want: "body_decides" },
    {
      name: "GitLab, only an empty secret",
      kind: "GITLAB",
      headers: { "x-gitlab-token": "" },
      secrets: [""],
      want: "body_decides",
    },
    {
      name: "GitHub, well-formed signature",
      kind: "GITHUB",
      headers: { "content-type": "application/json", "x-hub-signature-256": `sha256=${"0".repeat(64)}` },
      secrets: ["k"],
      want: "body_decides",
    },
    {
      name: "GitHub, X-Hub-Signature sha1",
      kind: "GITHUB",
      headers: { "content-type": FORM, "x-hub-signature": `sha1=${"A".repeat(40)}` },
      secrets: ["k"],
      want: "body_decides",
    },
    {
      name: "GitHub, no signature",
      kind: "GITHUB",
      headers: { "content-type": "application/json" },
      secrets: ["k"],
      want: 400,
    },
    {
      name: "GitHub, a digest of the wrong length",
      kind: "GITHUB",
      headers: { "content-type": "application/json", "x-hub-signature-256": `sha256=${"0".repeat(40)}` },
      secrets: ["k"],
      want: 400,
    },
    {
      name: "GitHub, not hex",
      kind: "GITHUB",
      headers: { "content-type": "application/json", "x-hub-signature-256": `sha256=${"g".repeat(64)}` },
      secrets: ["k"],
      want: 400,
    },
    {
      name: "GitHub, another content type",
      kind: "GITHUB",
      headers: { "content-type": "text/plain", "x-hub-signature-256": `sha256=${"0".repeat(64)}` },
      secrets: ["k"],
      want: 400,
    },
    { name: "GitHub, no secret", kind: "GITHUB", headers: {}, secrets: [], want: "body_decides" },
    {
      name: "Bitbucket Server, unsigned diagnostics:ping",
      kind: "BITBUCKETSERVER",
      headers: { "X-Event-Key": "diagnostics:ping" },
      secrets: ["k"],
      want: "body_decides",
    },
    {
      name: "Bitbucket Server, unsigned ping",
      kind: "BITBUCKETSERVER",
      headers: { "X-Event-Key": "ping" },
      secrets: ["k"],
      want: 400,
    },
    {
      name: "Bitbucket Server, malformed signature on diagnostics:ping",
      kind: "BITBUCKETSERVER",
      headers: { "X-Event-Key": "diagnostics:ping", "X-Hub-Signature": "sha256=00" },
      secrets: ["k"],
      want: 400,
    },
    {
      name: "Bitbucket Cloud, no signature",
      kind: "BITBUCKETCLOUD",
      headers: { "X-Event-Key": "repo:push" },
      secrets: ["k"],
      want: 400,
    },
    {
      name: "Bitbucket Cloud, sha512",
      kind: "BITBUCKETCLOUD",
      headers: { "X-Event-Key": "repo:push", "X-Hub-Signature": `sha512=${"0".repeat(128)}` },
      secrets: ["k"],
      want: "body_decides",
    },
  ];
  for (const c of cases) {
    it(`${c.name}: ${c.want}`, async () => {
      const got = verifyHeaders({ kind: c.kind, headers: c.headers, secrets: c.secrets });
      if (typeof c.want === "string") expect(got).toBe(c.want);
      else {
        expect(got).toMatchObject({ ok: false, status: c.want, reason: "bad_signature" });
        // The same answer verifyDelivery gives once the body is there.
        expect(await verifyDelivery({ kind: c.kind, headers: c.headers, body, secrets: c.secrets })).toEqual(
          got,
        );
      }
    });
  }
});
