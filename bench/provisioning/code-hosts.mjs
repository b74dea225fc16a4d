// The code hosts the provisioning scripts deploy to, each a contract stand-in from src/stand-ins/ with one
// Sourcegraph receiver and `count` hooks, declared as the SourcegraphWebhooks component declares
// them for one connection: one receiver per connection, one hook per GitLab project, Bitbucket
// Cloud repository or Bitbucket Server plugin scope, every hook delivering to that receiver with its
// secret. GitHub is not here: its hooks are @pulumi/github resources, whose provider binary the
// Pulumi CLI downloads (there is none on these machines), not a dynamic provider.
import { join } from "node:path";
import { dynamicUrn, forwardingProvider, root, serializeProvider } from "./harness.mjs";

const fakes = (name) => import(join(root, `dist/src/stand-ins/${name}/index.js`));
const events = await import(join(root, "dist/providers/events/index.js"));

export const CODE_HOSTS = ["gitlab", "bitbucket-server", "bitbucket-cloud"];

const pad = (i) => String(i).padStart(3, "0");

let texts;
/** The `__provider` stubs, serialized once as dynamic.Resource does. */
async function providerTexts() {
  texts ??= {
    sourcegraph: await serializeProvider(forwardingProvider("sourcegraph")),
    gitlab: await serializeProvider(forwardingProvider("gitlab", "projectHookProvider")),
    "bitbucket-server": await serializeProvider(forwardingProvider("bitbucket-server")),
    "bitbucket-cloud": await serializeProvider(forwardingProvider("bitbucket-cloud")),
  };
  return texts;
}

export async function startSourcegraph(network) {
  const { startSourcegraphFake, ADMIN_TOKEN } = await fakes("sourcegraph");
  const server = await startSourcegraphFake({ network });
  return { server, token: ADMIN_TOKEN };
}

/**
 * Starts the fake of `kind` and returns the declarations: `waves` (the receiver, then the hooks
 * that need its URL and secret), `setEvents(list)` for the update phase, and counters of what the
 * fake holds for the duplicate and orphan checks.
 */
export async function startCodeHost(kind, { count, network, sourcegraph, stack, prefix }) {
  const t = await providerTexts();
  const name = `${prefix}-${kind}`;
  const receiverUrn = dynamicUrn("sourcegraph", "Receiver", `${name}-receiver`);
  const receiverOf = () => stack.state.get(receiverUrn)?.outputs ?? {};
  const receiver = (codeHostKind, codeHostUrn) => ({
    urn: receiverUrn,
    props: () => ({
      __provider: t.sourcegraph,
      codeHostKind,
      codeHostUrn,
      webhookName: `${name}-receiver`,
      sourcegraph: { endpoint: sourcegraph.server.url, accessToken: sourcegraph.token },
    }),
  });
  const receiversNamed = () => sourcegraph.server.receivers().filter((r) => r.name === `${name}-receiver`);
  const indexes = Array.from({ length: count }, (_, i) => pad(i));

  if (kind === "gitlab") {
    const { startGitLabFake } = await fakes("gitlab");
    const fake = await startGitLabFake({ projects: indexes.map((i) => `bench/p${i}`), network });
    const defaults = [...events.gitlab.batchChanges, ...events.gitlab.push];
    let list = defaults;
    const hooks = indexes.map((i) => ({
      urn: dynamicUrn("gitlab", "ProjectHook", `${name}-p${i}`),
      props: () => ({
        __provider: t.gitlab,
        gitlab: { url: fake.url, token: "glpat-fake-owner" },
        project: `bench/p${i}`,
        url: receiverOf().url,
        secret: receiverOf().secret,
        events: list,
      }),
      /** Hooks on the fake that this one resource accounts for: exactly one after create. */
      remote: () => fake.hooks("project", `bench/p${i}`).filter((h) => h.url === receiverOf().url).length,
    }));
    return {
      kind,
      server: fake,
      waves: [[receiver("GITLAB", fake.url)], hooks],
      hooks,
      defaults,
      changed: [...events.gitlab.push],
      setEvents: (e) => {
        list = e;
      },
      remoteHooks: () => indexes.reduce((n, i) => n + fake.hooks("project", `bench/p${i}`).length, 0),
      receivers: receiversNamed,
      close: () => fake.close(),
    };
  }

  if (kind === "bitbucket-server") {
    const { startBitbucketServerFake } = await fakes("bitbucket-server");
    const fake = await startBitbucketServerFake({
      projects: [
        {
          id: 1,
          key: "BENCH",
          name: "Bench",
          repositories: indexes.map((i) => ({ id: 1000 + Number(i), slug: `repo-${i}`, name: `Repo ${i}` })),
        },
      ],
      network,
    });
    const defaults = [...events.bitbucketServer.batchChanges, ...events.bitbucketServer.push];
    let list = defaults;
    const hooks = indexes.map((i) => ({
      urn: dynamicUrn("bitbucketserver", "Webhook", `${name}-repo-${i}`),
      props: () => ({
        __provider: t["bitbucket-server"],
        bitbucketServer: { url: fake.url, token: "bbs-admin-token" },
        webhookName: `${name}-repo-${i}`,
        scope: `repository:BENCH/repo-${i}`,
        url: receiverOf().url,
        secret: receiverOf().secret,
        events: list,
      }),
      // Names are unique in the plugin; a duplicate would be a second hook for the same scope and
      // receiver (the plugin lists a repository scope by project and repository names).
      remote: () =>
        fake
          .webhooks()
          .filter((w) => w.scope === `repository:Bench/Repo ${i}` && w.endpoint === receiverOf().url).length,
    }));
    return {
      kind,
      server: fake.server,
      waves: [[receiver("BITBUCKETSERVER", fake.url)], hooks],
      hooks,
      defaults,
      changed: [...events.bitbucketServer.push],
      setEvents: (e) => {
        list = e;
      },
      remoteHooks: () => fake.webhooks().length,
      receivers: receiversNamed,
      close: () => fake.close(),
    };
  }

  if (kind === "bitbucket-cloud") {
    const { startBitbucketCloudFake } = await fakes("bitbucket-cloud");
    const fake = await startBitbucketCloudFake({
      workspaces: { bench: indexes.map((i) => `r${i}`) },
      network,
    });
    const defaults = [...events.bitbucketCloud.batchChanges, ...events.bitbucketCloud.push];
    let list = defaults;
    const hooks = indexes.map((i) => ({
      urn: dynamicUrn("bitbucketcloud", "Webhook", `${name}-r${i}`),
      props: () => ({
        __provider: t["bitbucket-cloud"],
        bitbucketCloud: { apiUrl: fake.apiUrl, token: "bbc-access-token" },
        workspace: "bench",
        repository: `r${i}`,
        url: receiverOf().url,
        secret: receiverOf().secret,
        events: list,
        description: `Sourcegraph (${name}-r${i})`,
      }),
      remote: () => fake.hooks(`bench/r${i}`).filter((h) => h.url === receiverOf().url).length,
    }));
    return {
      kind,
      server: fake.server,
      waves: [[receiver("BITBUCKETCLOUD", "https://bitbucket.org")], hooks],
      hooks,
      defaults,
      changed: [...events.bitbucketCloud.push],
      setEvents: (e) => {
        list = e;
      },
      remoteHooks: () => fake.hooks().length,
      receivers: receiversNamed,
      close: () => fake.close(),
    };
  }
  throw new Error(`unknown code host ${kind}`);
}
