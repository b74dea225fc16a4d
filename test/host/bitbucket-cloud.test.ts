// Proves BitbucketCloudWebhook's lifecycle through the real dynamic-provider host, as `pulumi up` runs it.
// Serialized without credentials; create, diff, read, drift, update, delete; state from a newer version
// refused; adoption; errors that name the fix without a secret.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { forwardingProvider } from "../../src/dynamic/forwarding-provider";
import { type BitbucketCloudFake, startBitbucketCloudFake } from "../../src/stand-ins/bitbucket-cloud";
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

const TOKEN = "bbc-host-token-31c2";
const ENV_TOKEN = "bbc-host-env-token-8d1a";
const SECRET = "bbc-host-secret-5b6a";
const RECEIVER = "https://sourcegraph.example.com/.api/webhooks/6b1f0f1e-2222-4a4a-8b8b-123456789abc";
const KNOWN = [TOKEN, ENV_TOKEN, SECRET];
// Outputs Pulumi keeps secret (additionalSecretOutputs); every other output must be clean.
const SECRET_OUTPUTS = new Set(["secret", "bitbucketCloud"]);

let fake: BitbucketCloudFake;
let host: ProviderHost;
let providerText: string;

beforeAll(async () => {
  fake = await startBitbucketCloudFake({ tokens: [TOKEN, ENV_TOKEN] });
  providerText = await serializeProvider(forwardingProvider("bitbucket-cloud"));
  host = await startHost({ BITBUCKET_CLOUD_TOKEN: ENV_TOKEN });
});
afterAll(async () => {
  await host?.close();
  await fake?.close();
});

const urn = (name: string) => dynamicUrn("bitbucketcloud", "Webhook", name);

function props(over: Props = {}): Props {
  const all: Props = {
    __provider: providerText,
    bitbucketCloud: { apiUrl: fake.apiUrl, token: TOKEN },
    workspace: "acme",
    repository: "widgets",
    url: RECEIVER,
    secret: SECRET,
    description: "Sourcegraph (sgw-test-hook)",
    ...over,
  };
  return definedProps(all);
}

describe("BitbucketCloudWebhook through the dynamic-provider host", () => {
  it("serializes to a stub without credentials", () => {
    expect(providerText).toContain("pulumi-sourcegraph-webhooks/providers/");
    expectNoLeaks(providerText, KNOWN);
  });

  it("creates, diffs, reads, finds drift, updates, deletes, and deletes when gone", async () => {
    const u = urn("hook");
    const checked = await host.check(u, {}, props());
    expect(checked.failures).toEqual([]);
    const { id, outs } = await host.create(u, checked.inputs);
    expect(id).toMatch(/^\{[0-9a-f-]{36}\}$/);
    expect(outs).toMatchObject({
      uuid: id,
      workspace: "acme",
      repository: "widgets",
      url: RECEIVER,
      secretSet: true,
    });
    expect(outs.__provider).toBe(providerText);
    expect(fake.hooks("acme/widgets")).toHaveLength(1);
    expect(fake.hook(id)!.secret).toBe(SECRET);
    expectCleanOutputs(outs, KNOWN, SECRET_OUTPUTS);

    // A second plan with the same program is a no-op.
    expect(await host.diff(id, u, outs, checked.inputs)).toMatchObject({ changes: false, replaces: [] });
    const read = await host.read(id, u, outs);
    expect(read?.props).toEqual(outs);

    // Drift: the secret was removed and the events changed in the UI.
    fake.setHook(id, { secret: null, events: ["repo:fork"] });
    const refreshed = await host.read(id, u, outs);
    expect(refreshed?.props).toMatchObject({ secretSet: false, events: ["repo:fork"] });
    expect(refreshed?.props.secret).toBeUndefined();
    expect(await host.diff(id, u, refreshed!.props, checked.inputs)).toMatchObject({
      changes: true,
      replaces: [],
    });
    const repaired = await host.update(id, u, refreshed!.props, checked.inputs);
    expect(fake.hook(id)!.secret).toBe(SECRET);
    expect(repaired).toMatchObject({ secretSet: true, secret: SECRET });
    expect(await host.diff(id, u, repaired, checked.inputs)).toMatchObject({ changes: false });

    // Moving the hook to another repository is a replacement.
    const moved = await host.check(u, repaired, props({ repository: "gadgets" }));
    expect((await host.diff(id, u, repaired, moved.inputs)).replaces).toEqual(["repository"]);

    await host.delete(id, u, repaired);
    expect(fake.hooks()).toHaveLength(0);
    await host.delete(id, u, repaired);
    expect(await host.read(id, u, repaired)).toBeUndefined();
  });

  it("refuses state from a newer schema version on preview, refresh, update and destroy", async () => {
    const u = urn("newer");
    const checked = await host.check(u, {}, props());
    const { id, outs } = await host.create(u, checked.inputs);
    await expectNewerStateRefused(
      host,
      { urn: u, id, outs, inputs: checked.inputs },
      `Bitbucket Cloud webhook ${id}`,
      KNOWN,
    );
    expect(fake.hook(id)).toMatchObject({ url: RECEIVER, secret: SECRET });
    await host.delete(id, u, outs);
  });

  it("adopts a hook with the same URL, through the environment's token", async () => {
    const hand = fake.addHook({
      workspace: "acme",
      url: RECEIVER,
      description: "hand",
      events: ["repo:push"],
    });
    const u = urn("workspace-hook");
    const checked = await host.check(
      u,
      {},
      props({ repository: undefined, bitbucketCloud: { apiUrl: fake.apiUrl } }),
    );
    const { id, outs } = await host.create(u, checked.inputs);
    expect(id).toBe(hand.uuid);
    expect(fake.hooks("acme")).toHaveLength(1);
    expect(fake.hook(id)).toMatchObject({ secret: SECRET, description: "Sourcegraph (sgw-test-hook)" });
    expect(outs.bitbucketCloud).toEqual({ apiUrl: fake.apiUrl });
    await host.delete(id, u, outs);
    expect(fake.hooks()).toHaveLength(0);
  });

  it("reports check failures and API errors with the fix, without secrets", async () => {
    const u = urn("bad");
    const checked = await host.check(u, {}, props({ events: ["repo:push", "nope"] }));
    expect(checked.failures).toEqual([{ property: "events", reason: expect.stringContaining('"nope"') }]);

    const denied = await host.check(
      u,
      {},
      props({ bitbucketCloud: { apiUrl: fake.apiUrl, token: "bbc-wrong" } }),
    );
    // The stored token is refused and so is none other: the environment's is tried next and works.
    const ok = await host.create(u, denied.inputs);
    await host.delete(ok.id, u, ok.outs);

    const missing = await host.check(u, {}, props({ repository: "missing" }));
    const details = await hostFailure(host.create(u, missing.inputs), KNOWN);
    expect(details).toContain('repository "acme/missing" was not found');
    expectNoLeaks(host.stderr.join(""), KNOWN);
  });
});
