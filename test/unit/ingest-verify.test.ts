// Proves verifyDelivery answers as Sourcegraph does, on real payloads and the published signature vectors.
// Every captured delivery (test/fixtures/ingest), each signature scheme, Sourcegraph's own test cases,
// the per-host answers to events it does not take, and the forwarding helpers.
import { createHmac } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  type CodeHostKind,
  deliveryId,
  resignDelivery,
  verifyDelivery,
  verifySignature,
} from "../../src/ingest";

const FIXTURES = join(__dirname, "..", "fixtures", "ingest");
const TEST_SECRET = "It's a Secret to Everybody";
const KIND_OF_DIR: Record<string, CodeHostKind> = {
  github: "GITHUB",
  gitlab: "GITLAB",
  "bitbucket-cloud": "BITBUCKETCLOUD",
  "bitbucket-server": "BITBUCKETSERVER",
};

interface Fixture {
  file: string;
  kind: CodeHostKind;
  headers: Record<string, string>;
  body: Buffer;
}

function fixtures(): Fixture[] {
  const out: Fixture[] = [];
  for (const dir of Object.keys(KIND_OF_DIR)) {
    for (const file of readdirSync(join(FIXTURES, dir)).filter((f) => f.endsWith(".json"))) {
      const d = JSON.parse(readFileSync(join(FIXTURES, dir, file), "utf8"));
      out.push({
        file: `${dir}/${file}`,
        kind: KIND_OF_DIR[dir]!,
        headers: d.headers,
        body: Buffer.from(JSON.stringify(d.payload)),
      });
    }
  }
  return out;
}

/**
 * What Sourcegraph answers to each fixture (test/fixtures/ingest/README.md, and the per-kind checks
 * of Sourcegraph cmd/frontend/webhooks/*_webhooks.go).
 */
function expected(f: Fixture): { ok: true; event: string } | { ok: false; status: number } {
  if (f.file === "bitbucket-server/pr.opened.json") return { ok: false, status: 400 }; // native key, never sent by the plugin
  if (f.kind === "GITLAB") return { ok: true, event: JSON.parse(f.body.toString()).object_kind };
  const h = Object.fromEntries(Object.entries(f.headers).map(([k, v]) => [k.toLowerCase(), v]));
  return { ok: true, event: h["x-github-event"] ?? h["x-event-key"]! };
}

const sha = (alg: string, secret: string, body: Uint8Array) =>
  `${alg}=${createHmac(alg, secret).update(body).digest("hex")}`;

describe("verifyDelivery on the real payloads", () => {
  const all = fixtures();
  it("has every fixture", () => expect(all.length).toBe(21));

  for (const f of all) {
    it(`${f.file}: right verdict with the test secret, 400 with another`, async () => {
      const want = expected(f);
      const got = await verifyDelivery({
        kind: f.kind,
        headers: f.headers,
        body: f.body,
        secrets: [TEST_SECRET],
      });
      if (want.ok) expect(got).toEqual(want);
      else expect(got).toMatchObject({ ok: false, status: want.status });

      const wrong = await verifyDelivery({
        kind: f.kind,
        headers: f.headers,
        body: f.body,
        secrets: ["another secret"],
      });
      expect(wrong).toEqual({
        ok: false,
        status: 400,
        message: "Could not validate payload with secret.",
        reason: "bad_signature",
      });
    });

    it(`${f.file}: one changed byte is rejected`, async () => {
      const body = Buffer.from(f.body);
      const at = Math.floor(body.length / 2);
      body[at] = body[at] === 0x20 ? 0x21 : 0x20;
      const got = await verifyDelivery({ kind: f.kind, headers: f.headers, body, secrets: [TEST_SECRET] });
      if (f.kind === "GITLAB") {
        // GitLab sends a token, not a signature: the body is not covered.
        expect(got.ok || got.status !== 400 || got.reason !== "bad_signature").toBe(true);
      } else {
        expect(got).toMatchObject({ ok: false, status: 400, reason: "bad_signature" });
      }
    });

    it(`${f.file}: a missing signature header is rejected, none needed without a secret`, async () => {
      const stripped = Object.fromEntries(
        Object.entries(f.headers).filter(([k]) => !/^x-hub-signature|^x-gitlab-token$/i.test(k)),
      );
      const got = await verifyDelivery({
        kind: f.kind,
        headers: stripped,
        body: f.body,
        secrets: [TEST_SECRET],
      });
      expect(got).toMatchObject({ ok: false, status: 400, reason: "bad_signature" });
      const open = await verifyDelivery({ kind: f.kind, headers: stripped, body: f.body, secrets: [] });
      const want = expected(f);
      expect(open.ok).toBe(want.ok);
    });
  }
});

describe("signature schemes", () => {
  const vectors = JSON.parse(readFileSync(join(FIXTURES, "signature-test-vectors.json"), "utf8"));
  const body = Buffer.from(vectors.payload);
  const ghHeaders = (sig: Record<string, string>) => ({
    "content-type": "application/json",
    "x-github-event": "ping",
    ...sig,
  });

  it("GitHub's documented vector passes for sha256 and sha1", async () => {
    // "Hello, World!" is not JSON, so ParseWebHook rejects it after the signature passed: 400 but not a bad signature.
    for (const sig of [
      { "X-Hub-Signature-256": vectors.github["X-Hub-Signature-256"] },
      { "X-Hub-Signature": vectors.github["X-Hub-Signature"] },
    ] as Record<string, string>[]) {
      const v = await verifyDelivery({
        kind: "GITHUB",
        headers: ghHeaders(sig),
        body,
        secrets: [vectors.secret],
      });
      expect(v).toMatchObject({ ok: false, status: 400, reason: "malformed_body" });
    }
    expect(verifySignature(vectors.github["X-Hub-Signature-256"], body, [vectors.secret])).toBe(true);
    expect(verifySignature(vectors.github["X-Hub-Signature"], body, [vectors.secret])).toBe(true);
    expect(
      verifySignature(vectors.bitbucket_cloud_and_server["X-Hub-Signature"], body, [vectors.secret]),
    ).toBe(true);
  });

  it("Bitbucket takes the same sha256 value in X-Hub-Signature", async () => {
    for (const kind of ["BITBUCKETCLOUD", "BITBUCKETSERVER"] as const) {
      const headers = {
        "x-event-key": "repo:push",
        "X-Hub-Signature": vectors.bitbucket_cloud_and_server["X-Hub-Signature"],
      };
      const v = await verifyDelivery({
        kind,
        headers: { ...headers, "x-event-key": kind === "BITBUCKETSERVER" ? "ping" : "repo:push" },
        body,
        secrets: [vectors.secret],
      });
      // Sourcegraph's Bitbucket Cloud parser then needs JSON (500); the server one does not look.
      expect(v.ok || v.reason !== "bad_signature").toBe(true);
    }
  });

  it("GitLab's token is compared whole", async () => {
    const b = Buffer.from('{"object_kind":"push"}');
    const ok = await verifyDelivery({
      kind: "GITLAB",
      headers: { "X-Gitlab-Token": vectors.gitlab["X-Gitlab-Token"] },
      body: b,
      secrets: [vectors.secret],
    });
    expect(ok).toEqual({ ok: true, event: "push" });
    for (const token of [
      "",
      vectors.secret.slice(0, -1),
      `${vectors.secret} `,
      vectors.secret.toUpperCase(),
    ]) {
      const v = await verifyDelivery({
        kind: "GITLAB",
        headers: { "x-gitlab-token": token },
        body: b,
        secrets: [vectors.secret],
      });
      expect(v).toMatchObject({ ok: false, status: 400 });
    }
  });

  it("sha512, uppercase hex accepted; truncated, odd-length, unknown prefix and bare hex rejected", async () => {
    const b = Buffer.from('{"zen":"x"}');
    const s = "githubsecret";
    const good = sha("sha256", s, b);
    const cases: Array<[string, boolean]> = [
      [sha("sha512", s, b), true],
      [sha("sha1", s, b), true],
      [`sha256=${good.slice(7).toUpperCase()}`, true],
      [good.slice(0, -2), false],
      [good.slice(0, -1), false],
      [`sha384=${createHmac("sha384", s).update(b).digest("hex")}`, false],
      [good.slice(7), false],
      [`SHA256=${good.slice(7)}`, false],
      ["sha256=", false],
      ["", false],
    ];
    for (const [sig, ok] of cases) {
      const v = await verifyDelivery({
        kind: "GITHUB",
        headers: ghHeaders({ "X-Hub-Signature-256": sig }),
        body: b,
        secrets: [s],
      });
      expect({ sig, ok: v.ok }).toEqual({ sig, ok });
    }
  });

  it("X-Hub-Signature-256 wins over X-Hub-Signature, as in go-github", async () => {
    const b = Buffer.from("{}");
    const headers = ghHeaders({ "x-hub-signature-256": "sha256=00", "x-hub-signature": sha("sha1", "k", b) });
    expect((await verifyDelivery({ kind: "GITHUB", headers, body: b, secrets: ["k"] })).ok).toBe(false);
  });
});

describe("Sourcegraph's own cases", () => {
  const behavior = JSON.parse(readFileSync(join(FIXTURES, "receiver-behavior.json"), "utf8"));
  const runnable = behavior.cases.filter(
    (c: { kind?: string; body?: string }) =>
      c.kind && c.kind !== "AZUREDEVOPS" && c.body !== undefined && !c.body.includes("..."),
  );
  it("has the cases with a full body", () => expect(runnable.length).toBeGreaterThanOrEqual(10));
  for (const c of runnable) {
    it(`${c.name} -> ${c.status}`, async () => {
      const v = await verifyDelivery({
        kind: c.kind,
        headers: c.headers,
        body: Buffer.from(c.body),
        secrets: c.secret ? [c.secret] : [],
      });
      if (c.status === 200) expect(v.ok).toBe(true);
      else expect(v).toMatchObject({ ok: false, status: c.status });
      if (c.responseBody && !v.ok) expect(`${v.message}\n`).toBe(c.responseBody);
    });
  }

  it("Bitbucket Cloud's signed push: 200 with its secret, 400 with the other", async () => {
    const d = JSON.parse(readFileSync(join(FIXTURES, "bitbucketcloud_push_signed.json"), "utf8"));
    const body = Buffer.from(d.body, "utf8");
    expect(body.length).toBe(7621);
    expect(
      await verifyDelivery({ kind: "BITBUCKETCLOUD", headers: d.headers, body, secrets: [d.secret] }),
    ).toEqual({ ok: true, event: "repo:push" });
    expect(
      await verifyDelivery({ kind: "BITBUCKETCLOUD", headers: d.headers, body, secrets: [d.wrongSecret] }),
    ).toMatchObject({ ok: false, status: 400 });
    // Rotation: the old and the new secret are both valid at once.
    expect(
      (
        await verifyDelivery({
          kind: "BITBUCKETCLOUD",
          headers: d.headers,
          body,
          secrets: [d.wrongSecret, d.secret],
        })
      ).ok,
    ).toBe(true);
    const truncated = { ...d.headers, "X-Hub-Signature": d.headers["X-Hub-Signature"].slice(0, 40) };
    expect(
      await verifyDelivery({ kind: "BITBUCKETCLOUD", headers: truncated, body, secrets: [d.secret] }),
    ).toMatchObject({ ok: false, status: 400 });
  });
});

describe("routing and the answers for events Sourcegraph does not take", () => {
  const b = Buffer.from("{}");
  it("answers per host: GitHub 400, GitLab 204, Bitbucket Server 400, Bitbucket Cloud 404", async () => {
    expect(
      await verifyDelivery({
        kind: "GITHUB",
        headers: { "content-type": "application/json", "x-github-event": "nope" },
        body: b,
        secrets: [],
      }),
    ).toEqual({
      ok: false,
      status: 400,
      message: "unknown X-Github-Event in message: nope",
      reason: "unknown_event",
    });
    expect(
      await verifyDelivery({
        kind: "GITLAB",
        headers: {},
        body: Buffer.from('{"object_kind":"note"}'),
        secrets: [],
      }),
    ).toEqual({
      ok: false,
      status: 204,
      message: "kind: note: unknown object kind",
      reason: "unknown_event",
    });
    expect(
      await verifyDelivery({
        kind: "BITBUCKETSERVER",
        headers: { "x-event-key": "pr:opened" },
        body: b,
        secrets: [],
      }),
    ).toEqual({
      ok: false,
      status: 400,
      message: 'parsing webhook: unknown webhook event type: "pr:opened"',
      reason: "unknown_event",
    });
    expect(
      await verifyDelivery({
        kind: "BITBUCKETCLOUD",
        headers: { "x-event-key": "issue:created" },
        body: b,
        secrets: [],
      }),
    ).toEqual({
      ok: false,
      status: 404,
      message: "unknown webhook event key: issue:created",
      reason: "unknown_event",
    });
  });

  it("forwards every preset event, actions included, and GitHub's whole catalog", async () => {
    for (const e of ["pullrequest:created", "pullrequest:comment_resolved", "repo:push"]) {
      expect(
        (
          await verifyDelivery({
            kind: "BITBUCKETCLOUD",
            headers: { "x-event-key": e },
            body: b,
            secrets: [],
          })
        ).ok,
      ).toBe(true);
    }
    for (const e of ["workflow_run", "team_add", "installation"]) {
      expect(
        (await verifyDelivery({ kind: "GITHUB", headers: { "X-GitHub-Event": e }, body: b, secrets: [] })).ok,
      ).toBe(true);
    }
    const mr = Buffer.from('{"object_kind":"merge_request","object_attributes":{"action":"open"}}');
    expect(await verifyDelivery({ kind: "GITLAB", headers: {}, body: mr, secrets: [] })).toEqual({
      ok: true,
      event: "merge_request",
    });
  });

  it("GitLab: not JSON is Sourcegraph's 500", async () => {
    expect(
      await verifyDelivery({ kind: "GITLAB", headers: {}, body: Buffer.from("nope"), secrets: [] }),
    ).toMatchObject({ ok: false, status: 500 });
    expect(
      await verifyDelivery({
        kind: "GITLAB",
        headers: {},
        body: Buffer.from('{"object_kind":1}'),
        secrets: [],
      }),
    ).toMatchObject({ ok: false, status: 500 });
  });

  it("Bitbucket Server: an unsigned diagnostics:ping passes with a secret, a signed one is checked", async () => {
    expect(
      await verifyDelivery({
        kind: "BITBUCKETSERVER",
        headers: { "X-Event-Key": "diagnostics:ping" },
        body: b,
        secrets: ["s"],
      }),
    ).toEqual({ ok: true, event: "diagnostics:ping" });
    expect(
      (
        await verifyDelivery({
          kind: "BITBUCKETSERVER",
          headers: { "X-Event-Key": "diagnostics:ping", "X-Hub-Signature": "sha256=00" },
          body: b,
          secrets: ["s"],
        })
      ).ok,
    ).toBe(false);
    expect(
      (
        await verifyDelivery({
          kind: "BITBUCKETSERVER",
          headers: { "X-Event-Key": "ping" },
          body: b,
          secrets: ["s"],
        })
      ).ok,
    ).toBe(false);
  });

  it("GitHub: form content is verified over the raw form body; other content types are refused", async () => {
    const json = '{"zen":"é ✓ 😀"}';
    const form = Buffer.from(`payload=${encodeURIComponent(json)}`);
    const headers = {
      "Content-Type": "application/x-www-form-urlencoded",
      "X-GitHub-Event": "ping",
      "X-Hub-Signature-256": sha("sha256", "k", form),
    };
    expect(await verifyDelivery({ kind: "GITHUB", headers, body: form, secrets: ["k"] })).toEqual({
      ok: true,
      event: "ping",
    });
    expect(
      (
        await verifyDelivery({
          kind: "GITHUB",
          headers: { ...headers, "Content-Type": "text/plain" },
          body: form,
          secrets: ["k"],
        })
      ).ok,
    ).toBe(false);
    const jsonHeaders = {
      ...headers,
      "Content-Type": "application/json; charset=utf-8",
      "X-Hub-Signature-256": sha("sha256", "k", Buffer.from(json)),
    };
    expect(
      (
        await verifyDelivery({
          kind: "GITHUB",
          headers: jsonHeaders,
          body: Buffer.from(json),
          secrets: ["k"],
        })
      ).ok,
    ).toBe(true);
    expect(
      (
        await verifyDelivery({
          kind: "GITHUB",
          headers: { ...jsonHeaders, "Content-Type": "application/json; charset" },
          body: Buffer.from(json),
          secrets: ["k"],
        })
      ).ok,
    ).toBe(false);
  });

  it("multibyte bodies are verified over their bytes, never re-serialized", async () => {
    const raw = Buffer.from('{ "title" : "Ünïcödé 🚀 \\u00e9",\n  "n": 1.0 }', "utf8");
    const reserialized = Buffer.from(JSON.stringify(JSON.parse(raw.toString("utf8"))));
    const secret = "sécret-🔑";
    for (const kind of ["BITBUCKETCLOUD", "BITBUCKETSERVER"] as const) {
      const headers = {
        "x-event-key": kind === "BITBUCKETCLOUD" ? "repo:push" : "repo:refs_changed",
        "x-hub-signature": sha("sha256", secret, raw),
      };
      expect((await verifyDelivery({ kind, headers, body: raw, secrets: [secret] })).ok).toBe(true);
      expect((await verifyDelivery({ kind, headers, body: reserialized, secrets: [secret] })).ok).toBe(false);
    }
    // A non-ASCII GitLab token as Node's parser hands it over (latin1 of the UTF-8 bytes), and as typed.
    const asNodeSees = Buffer.from(secret, "utf8").toString("latin1");
    for (const token of [asNodeSees, secret]) {
      expect(
        (
          await verifyDelivery({
            kind: "GITLAB",
            headers: { "x-gitlab-token": token },
            body: Buffer.from('{"object_kind":"push"}'),
            secrets: [secret],
          })
        ).ok,
      ).toBe(true);
    }
  });

  it("an empty secret is no secret; a receiver kind the relay does not handle is 501", async () => {
    expect(
      (
        await verifyDelivery({
          kind: "BITBUCKETCLOUD",
          headers: { "x-event-key": "repo:push" },
          body: b,
          secrets: [""],
        })
      ).ok,
    ).toBe(true);
    expect(
      await verifyDelivery({ kind: "AZUREDEVOPS" as CodeHostKind, headers: {}, body: b, secrets: [] }),
    ).toMatchObject({ ok: false, status: 501 });
  });
});

describe("forwarding helpers", () => {
  it("re-signs with secrets[0], drops credentials and hop-by-hop headers, keeps what Sourcegraph reads", () => {
    const body = Buffer.from('{"a":1}');
    const h = resignDelivery({
      kind: "GITHUB",
      headers: {
        Host: "relay",
        "Content-Length": "7",
        Connection: "keep-alive",
        "Content-Type": "application/json",
        "X-GitHub-Event": "push",
        "X-GitHub-Delivery": "d1",
        "User-Agent": "GitHub-Hookshot/1",
        "X-Hub-Signature-256": "sha256=old",
        Authorization: "Basic x",
        "X-Forwarded-For": "1.2.3.4",
      },
      body,
      secrets: ["new", "old"],
    });
    expect(h).toEqual({
      "content-type": "application/json",
      "x-github-event": "push",
      "x-github-delivery": "d1",
      "user-agent": "GitHub-Hookshot/1",
      "x-hub-signature-256": sha("sha256", "new", body),
      "x-hub-signature": sha("sha1", "new", body),
    });
    expect(
      resignDelivery({
        kind: "GITLAB",
        headers: { "X-Gitlab-Token": "old", "Idempotency-Key": "k" },
        body,
        secrets: ["new"],
      }),
    ).toEqual({ "idempotency-key": "k", "x-gitlab-token": "new" });
    expect(
      resignDelivery({ kind: "BITBUCKETCLOUD", headers: { "X-Event-Key": "repo:push" }, body, secrets: [] }),
    ).toEqual({ "x-event-key": "repo:push" });
  });

  it("takes the delivery ID each code host keeps across redeliveries", () => {
    expect(deliveryId("GITHUB", { "X-GitHub-Delivery": "g" })).toBe("g");
    expect(deliveryId("GITLAB", { "idempotency-key": "l" })).toBe("l");
    expect(deliveryId("BITBUCKETCLOUD", { "X-Request-UUID": "c" })).toBe("c");
    expect(deliveryId("BITBUCKETSERVER", { "X-Request-Id": "s" })).toBeUndefined();
    expect(deliveryId("GITHUB", {})).toBeUndefined();
  });
});
