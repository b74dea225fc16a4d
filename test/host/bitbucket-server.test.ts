// Proves BitbucketServerWebhook's lifecycle through the real dynamic-provider host over gRPC.
// BitbucketServerWebhook through the real dynamic-provider host over gRPC, with the serialized
// provider exactly as dynamic.Resource stores it, against the plugin fake.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { forwardingProvider } from "../../src/dynamic/forwarding-provider";
import {
  type BitbucketServerFake,
  PLUGIN_PATH,
  startBitbucketServerFake,
} from "../../src/stand-ins/bitbucket-server";
import { expectNoLeaks, hostFailure } from "../harness/leaks";
import {
  dynamicUrn,
  type Props,
  type ProviderHost,
  serializeProvider,
  startHost,
} from "../harness/provider-host";
import { expectNewerStateRefused } from "./newer-state";

const ADMIN_TOKEN = "bbs-admin-token";
const SECRET = "host-secret-0123456789";
const RECEIVER = "https://sourcegraph.example.com/.api/webhooks/7f1c1b9e-2f4b-4a53-9d4f-6f9d8d4c3b2a";
const KNOWN = [ADMIN_TOKEN, SECRET, "admin-password", "not-an-admin-token", "revoked-token"];

let bbs: BitbucketServerFake;
let host: ProviderHost;
let providerText: string;

beforeAll(async () => {
  bbs = await startBitbucketServerFake();
  providerText = await serializeProvider(forwardingProvider("bitbucket-server"));
  // The environment holds an admin's username and password; inputs carry a token where a test
  // wants a stored credential.
  host = await startHost({ BITBUCKET_SERVER_USERNAME: "admin", BITBUCKET_SERVER_PASSWORD: "admin-password" });
});
afterAll(async () => {
  await host?.close();
  await bbs?.close();
});

const urn = (name: string) => dynamicUrn("bitbucketserver", "Webhook", name);

async function checked(name: string, extra: Props = {}): Promise<Props> {
  const res = await host.check(
    urn(name),
    {},
    {
      __provider: providerText,
      bitbucketServer: { url: bbs.url },
      webhookName: `sgw-test-${name}`,
      url: RECEIVER,
      secret: SECRET,
      ...extra,
    },
  );
  expect(res.failures).toEqual([]);
  return res.inputs;
}

const without = (p: Props | undefined) => {
  const { __provider, ...rest } = p ?? {};
  return rest;
};

describe("BitbucketServerWebhook through the dynamic-provider host", () => {
  it("create, no-op diff, read, drift, update, delete, delete-when-gone", async () => {
    const inputs = await checked("life");
    expect(inputs.__provider).toBe(providerText);
    const { id, outs } = await host.create(urn("life"), inputs);
    const hook = bbs.webhook("sgw-test-life")!;
    expect(id).toBe(String(hook.id));
    expect(outs).toMatchObject({
      webhookId: hook.id,
      instanceUrl: bbs.url,
      scope: "global",
      url: RECEIVER,
      schemaVersion: 1,
    });
    expect(outs.__provider).toBe(providerText);

    expect(await host.diff(id, urn("life"), outs, inputs)).toEqual({
      changes: false,
      replaces: [],
      deleteBeforeReplace: false,
    });

    const read = await host.read(id, urn("life"), outs);
    expect(read?.id).toBe(id);
    expect(without(read?.props)).toEqual(without(outs));

    bbs.edit("sgw-test-life", { secret: "rotated-by-hand", events: ["pr"] });
    const drifted = await host.read(id, urn("life"), outs);
    expect(drifted?.props).toMatchObject({ secret: "rotated-by-hand", events: ["pr"] });
    expect(await host.diff(id, urn("life"), drifted!.props, inputs)).toMatchObject({
      changes: true,
      replaces: [],
    });

    const updated = await host.update(id, urn("life"), drifted!.props, inputs);
    expect(updated).toMatchObject({ secret: SECRET, webhookId: hook.id });
    expect(bbs.webhook("sgw-test-life")).toMatchObject({ id: hook.id, secret: SECRET });
    expect([...bbs.webhook("sgw-test-life")!.events].sort()).toEqual(inputs.events);

    const news = { ...inputs, scope: "repository:PROJ/repo-one", events: ["repo:refs_changed"] };
    expect(await host.diff(id, urn("life"), updated, news)).toMatchObject({ changes: true, replaces: [] });
    const moved = await host.update(id, urn("life"), updated, news);
    expect(moved).toMatchObject({
      scope: "repository:PROJ/repo-one",
      remoteScope: "repository:Project One/Repo One",
    });
    expect(
      await host.diff(id, urn("life"), (await host.read(id, urn("life"), moved))!.props, news),
    ).toMatchObject({
      changes: false,
    });

    await host.delete(id, urn("life"), moved);
    expect(bbs.webhook("sgw-test-life")).toBeUndefined();
    await host.delete(id, urn("life"), moved);
    expect(await host.read(id, urn("life"), moved)).toBeUndefined();
    expect(bbs.server.log.filter((l) => l.method === "DELETE").every((l) => l.path === PLUGIN_PATH)).toBe(
      true,
    );
  });

  it("refuses state from a newer schema version on preview, refresh, update and destroy", async () => {
    const inputs = await checked("newer");
    const { id, outs } = await host.create(urn("newer"), inputs);
    await expectNewerStateRefused(
      host,
      { urn: urn("newer"), id, outs, inputs },
      `Bitbucket Server webhook ${id}`,
      KNOWN,
    );
    expect(bbs.webhook("sgw-test-newer")).toMatchObject({ endpoint: RECEIVER, secret: SECRET });
    await host.delete(id, urn("newer"), outs);
  });

  it("replaces on another webhookName or instance, and adopts a hook with the same name", async () => {
    const inputs = await checked("adopt");
    // A hook of that name made earlier (by hand, or by a run that failed half-way).
    const res = await fetch(`${bbs.url}${PLUGIN_PATH}`, {
      method: "POST",
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json" },
      body: JSON.stringify({
        name: "sgw-test-adopt",
        scope: "global",
        events: ["pr"],
        endpoint: "https://old",
        secret: "old",
      }),
    });
    expect(res.status).toBe(204);
    const existing = bbs.webhook("sgw-test-adopt")!;
    const { id, outs } = await host.create(urn("adopt"), inputs);
    expect(id).toBe(String(existing.id));
    expect(bbs.webhooks().filter((w) => w.name === "sgw-test-adopt")).toHaveLength(1);
    expect(bbs.webhook("sgw-test-adopt")).toMatchObject({ endpoint: RECEIVER, secret: SECRET });

    expect((await host.diff(id, urn("adopt"), outs, { ...inputs, webhookName: "other" })).replaces).toEqual([
      "webhookName",
    ]);
    const moved = await checked("adopt", { bitbucketServer: { url: `${bbs.url}/` } });
    expect((await host.diff(id, urn("adopt"), outs, moved)).changes).toBe(false);
    const other = await checked("adopt", { bitbucketServer: { url: "https://bitbucket.example.com" } });
    expect((await host.diff(id, urn("adopt"), outs, other)).replaces).toEqual(["instanceUrl"]);
    await host.delete(id, urn("adopt"), outs);
  });

  it("uses a stored token, and the environment's credential once it is refused", async () => {
    const inputs = await checked("stored", { bitbucketServer: { url: bbs.url, token: ADMIN_TOKEN } });
    const { id, outs } = await host.create(urn("stored"), inputs);
    expect(outs.bitbucketServer).toEqual({ url: bbs.url, token: ADMIN_TOKEN });
    const revoked = { ...outs, bitbucketServer: { url: bbs.url, token: "revoked-token" } };
    expect((await host.read(id, urn("stored"), revoked))?.id).toBe(id);
    await host.delete(id, urn("stored"), revoked);
    expect(bbs.webhook("sgw-test-stored")).toBeUndefined();
  });

  it("reports check failures and provider errors with messages that name the fix", async () => {
    const bad = await host.check(
      urn("bad"),
      {},
      {
        __provider: providerText,
        bitbucketServer: { url: bbs.url },
        webhookName: "x",
        url: RECEIVER,
        secret: SECRET,
        scope: "repo:PROJ/x",
        events: ["pr:opened"],
      },
    );
    expect(bad.failures.map((f) => f.property).sort()).toEqual(["events", "scope"]);

    const noPlugin = await startBitbucketServerFake({ pluginInstalled: false });
    const nobody = await startBitbucketServerFake({ users: {}, tokens: {} });
    try {
      const err1 = await hostFailure(
        host.create(urn("np"), await checked("np", { bitbucketServer: { url: noPlugin.url } })),
        KNOWN,
      );
      expect(err1).toContain(
        `the Bitbucket Server at ${noPlugin.url} has no Sourcegraph plugin (404 on /rest/sourcegraph-admin/1.0/webhook)`,
      );
      // hostFailure also proves that "not-an-admin-token" is not echoed.
      const err2 = await hostFailure(
        host.create(
          urn("na"),
          await checked("na", { bitbucketServer: { url: nobody.url, token: "not-an-admin-token" } }),
        ),
        KNOWN,
      );
      expect(err2).toContain("managing plugin webhooks needs a Bitbucket system administrator (401)");
      expect(err2).toContain(
        "bitbucketServer.token, then BITBUCKET_SERVER_USERNAME + BITBUCKET_SERVER_PASSWORD",
      );
      const err3 = await hostFailure(
        host.delete("1", urn("na"), {
          __provider: providerText,
          instanceUrl: nobody.url,
          webhookName: "x",
          secret: SECRET,
          scope: "global",
          events: [],
        }),
        KNOWN,
      );
      expect(err3).toContain("system administrator (401)");
    } finally {
      await noPlugin.close();
      await nobody.close();
    }
  });

  it("never logs a token, password or secret", () => {
    expectNoLeaks(host.stderr.join(""), KNOWN);
    expect(providerText).not.toMatch(/bbs-admin-token|host-secret|admin-password/);
  });
});
