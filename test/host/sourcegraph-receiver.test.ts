// Proves SourcegraphReceiver's lifecycle through the real dynamic-provider host over gRPC.
// SourcegraphReceiver through the real dynamic-provider host over gRPC, with the provider exactly
// as the resource class serializes it, against the Sourcegraph fake: what `pulumi up`,
// `pulumi refresh` and `pulumi destroy` do.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { forwardingProvider } from "../../src/dynamic/forwarding-provider";
import { ADMIN_TOKEN, type SourcegraphFake, startSourcegraphFake } from "../../src/stand-ins/sourcegraph";
import { expectCleanOutputs, expectNoLeaks, hostFailure } from "../harness/leaks";
import {
  definedProps,
  dynamicUrn,
  type Props,
  type ProviderHost,
  serializeProvider,
  startHost,
} from "../harness/provider-host";
import { expectNewerStateRefused } from "./newer-state";

const ENV_TOKEN = "fake-sg-hostenv-0123456789abcdef0123456789abcdef0";
const SECRET = "HostSecret0123456789abcdefABCDEF01";
const SECRET_OUTPUTS = new Set(["secret", "sourcegraph"]);

let fake: SourcegraphFake;
let strict: SourcegraphFake;
let host: ProviderHost;
let providerText: string;
const known = [ADMIN_TOKEN, ENV_TOKEN, SECRET];

beforeAll(async () => {
  const tokens = {
    [ADMIN_TOKEN]: { username: "admin", siteAdmin: true },
    [ENV_TOKEN]: { username: "admin", siteAdmin: true },
  };
  fake = await startSourcegraphFake({ tokens });
  // A Sourcegraph whose schema lacks a field the provider asks for: the query must fail there.
  strict = await startSourcegraphFake({ tokens, omitFields: ["Webhook.secret"] });
  const p = forwardingProvider("sourcegraph");
  providerText = await serializeProvider(p);
  host = await startHost({ SRC_ACCESS_TOKEN: ENV_TOKEN });
});
afterAll(async () => {
  if (host) {
    expectNoLeaks(host.stderr.join(""), known);
    await host.close();
  }
  await fake?.close();
  await strict?.close();
});

const urn = (name: string) => dynamicUrn("sourcegraph", "Receiver", name);

function props(over: Props = {}): Props {
  const all: Props = {
    __provider: providerText,
    codeHostKind: "GITHUB",
    codeHostUrn: "https://GitHub.com",
    webhookName: "sgw-test-gh",
    sourcegraph: { endpoint: fake.url, accessToken: ADMIN_TOKEN },
    ...over,
  };
  return definedProps(all);
}

describe("SourcegraphReceiver through the dynamic-provider host", () => {
  it("serializes to a stub that captures no credentials", () => {
    expect(providerText).toContain("pulumi-sourcegraph-webhooks/providers/");
    expect(providerText.length).toBeLessThan(5_000);
    expectNoLeaks(providerText, known);
  });

  it("creates, finds no diff, reads, sees drift, updates, deletes, and deletes when gone", async () => {
    fake.reset();
    const u = urn("gh");
    const checked = await host.check(u, {}, props({ secret: SECRET }));
    expect(checked.failures).toEqual([]);
    expect(checked.inputs.codeHostUrn).toBe("https://github.com/");
    const { id, outs } = await host.create(u, checked.inputs);
    expect(id).toBe("V2ViaG9vazox");
    const r = fake.receiver(id)!;
    expect(outs).toMatchObject({
      webhookId: id,
      uuid: r.uuid,
      url: `${fake.url}/.api/webhooks/${r.uuid}`,
      codeHostUrn: "https://github.com/",
      secret: SECRET,
      endpoint: fake.url,
      schemaVersion: 1,
    });
    expect(outs.__provider).toBe(providerText);
    expectCleanOutputs(outs, known, SECRET_OUTPUTS);

    expect(await host.diff(id, u, outs, checked.inputs)).toMatchObject({ changes: false, replaces: [] });
    const read = await host.read(id, u, outs);
    expect(read?.id).toBe(id);
    expect(read?.props).toMatchObject({ uuid: r.uuid, secret: SECRET, webhookName: "sgw-test-gh" });

    // Changed by hand in Sourcegraph: refresh shows it, the next up repairs it in place.
    r.secret = "EditedByHand";
    r.name = "edited";
    const drifted = (await host.read(id, u, outs))!.props;
    expect(drifted).toMatchObject({ secret: "EditedByHand", webhookName: "edited" });
    expect(await host.diff(id, u, drifted, checked.inputs)).toMatchObject({ changes: true, replaces: [] });
    const repaired = await host.update(id, u, drifted, checked.inputs);
    expect(fake.receiver(id)).toMatchObject({ secret: SECRET, name: "sgw-test-gh" });
    expect(repaired.uuid).toBe(r.uuid);
    expectCleanOutputs(repaired, known, SECRET_OUTPUTS);

    // A renamed receiver keeps its UUID and URL.
    const renamed = await host.check(u, checked.inputs, props({ secret: SECRET, webhookName: "renamed" }));
    expect(await host.diff(id, u, repaired, renamed.inputs)).toMatchObject({ changes: true, replaces: [] });
    const after = await host.update(id, u, repaired, renamed.inputs);
    expect(after).toMatchObject({ webhookName: "renamed", url: outs.url });

    // Another Sourcegraph instance is a replacement.
    const moved = await host.check(
      u,
      checked.inputs,
      props({ sourcegraph: { endpoint: "https://other.example.com" } }),
    );
    expect(await host.diff(id, u, after, moved.inputs)).toMatchObject({
      changes: true,
      replaces: ["sourcegraph"],
      deleteBeforeReplace: true,
    });

    await host.delete(id, u, after);
    expect(fake.receivers()).toEqual([]);
    expect(await host.read(id, u, after)).toBeUndefined();
    await host.delete(id, u, after);
  });

  it("refuses state from a newer schema version on preview, refresh, update and destroy", async () => {
    fake.reset();
    const u = urn("newer");
    const checked = await host.check(u, {}, props({ secret: SECRET }));
    const { id, outs } = await host.create(u, checked.inputs);
    await expectNewerStateRefused(
      host,
      { urn: u, id, outs, inputs: checked.inputs },
      `Sourcegraph receiver ${id}`,
      known,
    );
    expect(fake.receiver(id)).toMatchObject({ name: "sgw-test-gh", secret: SECRET });
  });

  it("adopts a receiver made by hand with adopt: true", async () => {
    fake.reset();
    const hand = fake.seed({
      name: "made by hand",
      codeHostKind: "GITLAB",
      codeHostURN: "https://gitlab.example.com",
    });
    const u = urn("gl");
    const checked = await host.check(
      u,
      {},
      props({ codeHostKind: "GITLAB", codeHostUrn: "https://GitLab.example.com/", adopt: true }),
    );
    const { id, outs } = await host.create(u, checked.inputs);
    expect(id).toBe(hand.id);
    expect(fake.receivers()).toHaveLength(1);
    expect(hand.name).toBe("sgw-test-gh");
    expect(outs.secret).toBe(hand.secret);
    expect(hand.secret).toMatch(/^[A-Za-z0-9]{40}$/);
    expectCleanOutputs(outs, known, SECRET_OUTPUTS);
  });

  it("deletes with SRC_ACCESS_TOKEN once the stored token is revoked", async () => {
    fake.reset();
    const u = urn("rotated");
    const checked = await host.check(u, {}, props());
    const { id, outs } = await host.create(u, checked.inputs);
    delete fake.tokens[ADMIN_TOKEN];
    try {
      await host.delete(id, u, outs);
      expect(fake.receivers()).toEqual([]);
    } finally {
      fake.tokens[ADMIN_TOKEN] = { username: "admin", siteAdmin: true };
    }
  });

  it("reports check failures with the input and what is valid", async () => {
    const res = await host.check(urn("bad"), {}, props({ codeHostKind: "github", secret: "" }));
    expect(res.failures.map((f) => f.property)).toEqual(["codeHostKind", "secret"]);
    expect(res.failures[0]!.reason).toMatch(/must be one of GITHUB, GITLAB, BITBUCKETSERVER, BITBUCKETCLOUD/);
  });

  it("fails with a message that names the fix, and no token", async () => {
    fake.reset();
    const u = urn("denied");
    const checked = await host.check(
      u,
      {},
      props({ sourcegraph: { endpoint: fake.url, accessToken: "sgp_wrong_token_777" } }),
    );
    known.push("sgp_wrong_token_777");
    // The stored token is refused, then SRC_ACCESS_TOKEN is tried and works.
    const { id } = await host.create(u, checked.inputs);
    expect(fake.receiver(id)).toBeDefined();
    const revoked = new Set([ENV_TOKEN]);
    for (const t of revoked) delete fake.tokens[t];
    try {
      const details = await hostFailure(host.create(urn("denied2"), checked.inputs), known);
      expect(details).toContain(
        `Sourcegraph at ${fake.url} answered 401: the access token is invalid or expired (set SRC_ACCESS_TOKEN or sourcegraph.accessToken)`,
      );
    } finally {
      fake.tokens[ENV_TOKEN] = { username: "admin", siteAdmin: true };
    }
  });

  it("fails when the provider sends a query the SDL rejects", async () => {
    const u = urn("strict");
    const checked = await host.check(
      u,
      {},
      props({ sourcegraph: { endpoint: strict.url, accessToken: ADMIN_TOKEN } }),
    );
    const details = await hostFailure(host.create(u, checked.inputs), known);
    expect(details).toContain(
      `Sourcegraph at ${strict.url} refused Receivers: Cannot query field "secret" on type "Webhook".`,
    );
    expect(strict.receivers()).toEqual([]);
  });
});
