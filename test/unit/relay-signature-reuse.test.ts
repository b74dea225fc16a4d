// Proves the relay forwards a code host's own signature only when Sourcegraph's secret made it, and that what it keeps of the secret reveals nothing.
// The verifier says which secret signed a body; SignatureReuse keeps GitHub's and Bitbucket's
// `sha256=` header with a fingerprint of that secret, never GitLab's token, and gives the header
// back for forwarding only while that secret is `secrets[0]`, in the same relay process.
import { createHash, createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { type CodeHostKind, verifyDelivery, verifyDeliverySync } from "../../src/ingest";
import { verifySigned } from "../../src/ingest/verify-delivery";
import { signedBy } from "../../src/ingest/verify-signature";
import { SignatureReuse } from "../../src/relay/signature-reuse";

const body = Buffer.from('{"zen":"Keep it logically awesome."}');
const sign = (alg: "sha1" | "sha256", secret: string) =>
  `${alg}=${createHmac(alg, secret).update(body).digest("hex")}`;

const github = (signature: Record<string, string>) => ({
  "content-type": "application/json",
  "x-github-event": "push",
  ...signature,
});

describe("the verifier says which secret signed a body", () => {
  it("signedBy gives the index of the secret that made the signature, -1 for none", () => {
    expect(signedBy(sign("sha256", "b"), body, ["a", "b", "c"])).toBe(1);
    expect(signedBy(sign("sha256", "a"), body, ["a", "b"])).toBe(0);
    expect(signedBy(sign("sha256", "z"), body, ["a", "b"])).toBe(-1);
    expect(signedBy("sha256=zz", body, ["a"])).toBe(-1);
  });

  it("verifySigned reports the header and the secret's index in the list given, skipped empty secrets included", () => {
    const value = sign("sha256", "old");
    for (const [kind, event] of [
      ["BITBUCKETCLOUD", "repo:push"],
      ["BITBUCKETSERVER", "repo:refs_changed"],
    ] as const) {
      const v = verifySigned({
        kind,
        headers: { "x-event-key": event, "x-hub-signature": value },
        body,
        secrets: ["", "new", "old"],
      });
      expect(v).toEqual({ ok: true, event, signature: { value, secret: 2 } });
    }
    const gh = verifySigned({
      kind: "GITHUB",
      headers: github({ "x-hub-signature-256": value }),
      body,
      secrets: ["new", "old"],
    });
    expect(gh).toEqual({ ok: true, event: "push", signature: { value, secret: 1 } });
  });

  it("reports no signature for GitLab's token, nor for a receiver without a secret", () => {
    const gitlab = verifySigned({
      kind: "GITLAB",
      headers: { "x-gitlab-token": "token" },
      body: Buffer.from('{"object_kind":"push"}'),
      secrets: ["token"],
    });
    expect(gitlab).toEqual({ ok: true, event: "push" });
    const unsigned = verifySigned({ kind: "GITHUB", headers: github({}), body, secrets: [] });
    expect(unsigned).toEqual({ ok: true, event: "push" });
  });

  it("verifyDelivery and verifyDeliverySync still answer { ok, event } alone", async () => {
    const input = {
      kind: "GITHUB" as const,
      headers: github({ "x-hub-signature-256": sign("sha256", "s") }),
      body,
      secrets: ["s"],
    };
    expect(verifyDeliverySync(input)).toEqual({ ok: true, event: "push" });
    expect(await verifyDelivery(input)).toEqual({ ok: true, event: "push" });
  });
});

describe("SignatureReuse", () => {
  const verified = (secret: number, value = sign("sha256", "s")) => ({ value, secret });

  it("forwards the kept header when the secret that made it is secrets[0]: X-Hub-Signature-256 for GitHub, X-Hub-Signature for Bitbucket", () => {
    const reuse = new SignatureReuse();
    const secrets = ["s"];
    const cases: [CodeHostKind, string][] = [
      ["GITHUB", "x-hub-signature-256"],
      ["BITBUCKETSERVER", "x-hub-signature"],
      ["BITBUCKETCLOUD", "x-hub-signature"],
    ];
    for (const [kind, name] of cases) {
      const kept = reuse.keep(kind, verified(0), secrets);
      expect(kept?.value).toBe(sign("sha256", "s"));
      expect(reuse.reuse(kind, kept, secrets)).toEqual({ name, value: sign("sha256", "s") });
      // The same secret in a list read again (a reload, a refresh from Sourcegraph).
      expect(reuse.reuse(kind, kept, ["s", "older"])).toEqual({ name, value: sign("sha256", "s") });
    }
  });

  it("signs again after a rotation: the secret that made it is no longer secrets[0]", () => {
    const reuse = new SignatureReuse();
    const kept = reuse.keep("GITHUB", verified(0), ["old"]);
    expect(reuse.reuse("GITHUB", kept, ["new", "old"])).toBeUndefined();
    // Signed with the older secret during a rotation, then that secret became Sourcegraph's again.
    const byOlder = reuse.keep("BITBUCKETCLOUD", verified(1), ["new", "old"]);
    expect(reuse.reuse("BITBUCKETCLOUD", byOlder, ["new", "old"])).toBeUndefined();
    expect(reuse.reuse("BITBUCKETCLOUD", byOlder, ["old"])).toBeDefined();
    // A receiver left without secrets forwards unsigned, as before.
    expect(reuse.reuse("GITHUB", kept, [])).toBeUndefined();
  });

  it("never keeps GitLab's token, a SHA-1 or SHA-512 signature, or nothing", () => {
    const reuse = new SignatureReuse();
    expect(reuse.keep("GITLAB", { value: "sha256=00", secret: 0 }, ["s"])).toBeUndefined();
    expect(reuse.keep("GITHUB", verified(0, sign("sha1", "s")), ["s"])).toBeUndefined();
    expect(reuse.keep("BITBUCKETSERVER", verified(0, "sha512=00"), ["s"])).toBeUndefined();
    expect(reuse.keep("GITHUB", undefined, ["s"])).toBeUndefined();
    // Nor forwards one for GitLab, whatever the store holds.
    const kept = reuse.keep("GITHUB", verified(0), ["s"]);
    expect(reuse.reuse("GITLAB", kept, ["s"])).toBeUndefined();
  });

  it("a signature kept by another relay process (another key) is signed again", () => {
    const kept = new SignatureReuse().keep("GITHUB", verified(0), ["s"]);
    expect(new SignatureReuse().reuse("GITHUB", kept, ["s"])).toBeUndefined();
  });

  it("the fingerprint reveals nothing of the secret: it differs per relay for the same secret, and is no plain digest of it", () => {
    const secret = "It's a Secret to Everybody";
    const [a, b] = [new SignatureReuse(), new SignatureReuse()].map(
      (r) => r.keep("GITHUB", verified(0), [secret])!.secret,
    );
    expect(a).not.toBe(b);
    // Deterministic within a relay (so it can be compared at forwarding time).
    const one = new SignatureReuse();
    expect(one.keep("GITHUB", verified(0), [secret])!.secret).toBe(
      one.keep("GITHUB", verified(0), [secret, "other"])!.secret,
    );
    const plain = [
      createHash("sha256").update(secret).digest(),
      createHash("sha1").update(secret).digest(),
      createHmac("sha256", secret).update("").digest(),
      createHmac("sha256", "").update(secret).digest(),
      Buffer.from(secret),
    ];
    for (const fingerprint of [a!, b!]) {
      expect(fingerprint).not.toContain(secret);
      for (const digest of plain) {
        for (const encoding of ["hex", "base64", "base64url"] as const) {
          expect(digest.toString(encoding)).not.toContain(fingerprint);
          expect(fingerprint).not.toContain(digest.toString(encoding).slice(0, 16));
        }
      }
    }
  });
});
