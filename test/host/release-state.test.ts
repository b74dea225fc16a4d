// Proves state written by release 0.1.0 still refreshes, updates and destroys with the code installed now.
// The state that release 0.1.0 wrote (test/fixtures/providers/release-0.1.0-state.json: its exact
// serialized stubs and outputs) keeps working with the code installed now, through the real
// dynamic-provider host: the stub from the state refreshes, updates and destroys each resource.
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type BitbucketCloudFake, startBitbucketCloudFake } from "../../src/stand-ins/bitbucket-cloud";
import { type BitbucketServerFake, startBitbucketServerFake } from "../../src/stand-ins/bitbucket-server";
import { type GitLabFake, startGitLabFake } from "../../src/stand-ins/gitlab";
import { type SourcegraphFake, startSourcegraphFake } from "../../src/stand-ins/sourcegraph";
import { dynamicUrn, type Props, type ProviderHost, REPO_ROOT, startHost } from "../harness/provider-host";

interface Recorded {
  readonly type: string;
  readonly id: string;
  readonly inputs: Props;
  readonly outs: Props;
}

const FIXTURE = path.join(REPO_ROOT, "test/fixtures/providers/release-0.1.0-state.json");
const recorded = JSON.parse(readFileSync(FIXTURE, "utf8")).resources as Record<string, Recorded>;

/** The recording with the fake's URL in place of `{{baseUrl}}`. */
function replay(key: string, baseUrl: string): Recorded {
  return JSON.parse(JSON.stringify(recorded[key]).split("{{baseUrl}}").join(baseUrl));
}

const without = (props: Props | undefined, ...keys: string[]): Props =>
  Object.fromEntries(Object.entries(props ?? {}).filter(([k]) => !keys.includes(k)));

interface Case {
  readonly key: string;
  /** Outputs the remote API chooses (random UUIDs): taken from this run's create. */
  readonly assigned: readonly string[];
  /** The output that is also the ID, when the remote API chooses it. */
  readonly idFrom?: string;
  /** An in-place change for the update. */
  readonly change: Props;
  start(): Promise<string>;
  /** What the remote API holds now, or undefined when the object is gone. */
  remote(id: string): unknown;
  /** The remote object shows the change. */
  expectChanged(id: string): void;
}

let sg: SourcegraphFake;
let gitlab: GitLabFake;
let bbs: BitbucketServerFake;
let bbc: BitbucketCloudFake;
let host: ProviderHost;

const gitlabCase = (scope: "project" | "group"): Case => ({
  key: `gitlab-${scope}`,
  assigned: [],
  change: { events: ["push_events"] },
  start: async () => gitlab.url,
  remote: (id) => gitlab.hook(Number(id)),
  expectChanged: (id) =>
    expect(gitlab.hook(Number(id))?.events).toMatchObject({
      push_events: true,
      merge_requests_events: false,
    }),
});

const cases: Case[] = [
  {
    key: "sourcegraph",
    assigned: ["uuid", "url"],
    change: { secret: "ReleaseSecretRotated0123456789" },
    start: async () => {
      sg = await startSourcegraphFake();
      return sg.url;
    },
    remote: (id) => sg.receiver(id),
    expectChanged: (id) => expect(sg.receiver(id)?.secret).toBe("ReleaseSecretRotated0123456789"),
  },
  gitlabCase("project"),
  gitlabCase("group"),
  {
    key: "bitbucket-server",
    assigned: [],
    change: { events: ["repo:refs_changed"] },
    start: async () => {
      bbs = await startBitbucketServerFake();
      return bbs.url;
    },
    remote: () => bbs.webhook("sgw-release-hook"),
    expectChanged: () => expect(bbs.webhook("sgw-release-hook")?.events).toEqual(["repo:refs_changed"]),
  },
  {
    key: "bitbucket-cloud",
    assigned: ["uuid"],
    idFrom: "uuid",
    change: { events: ["repo:push"] },
    start: async () => {
      bbc = await startBitbucketCloudFake({ tokens: ["bbc-release-token"] });
      return bbc.apiUrl;
    },
    remote: (id) => bbc.hook(id),
    expectChanged: (id) => expect(bbc.hook(id)?.events).toEqual(["repo:push"]),
  },
];

beforeAll(async () => {
  gitlab = await startGitLabFake({
    tokens: { "glpat-release-owner": "owner" },
    projects: ["acme/api"],
    groups: ["acme"],
  });
  host = await startHost({});
});
afterAll(async () => {
  await host?.close();
  await Promise.all([sg?.close(), gitlab?.close(), bbs?.close(), bbc?.close()]);
});

describe("state written by release 0.1.0, through the dynamic-provider host", () => {
  for (const c of cases) {
    it(`${c.key}: its stub refreshes, updates and destroys with the installed code`, async () => {
      const old = replay(c.key, await c.start());
      const stub = old.outs.__provider as string;
      expect(stub).toContain("pulumi-sourcegraph-webhooks/providers/");
      const urn = dynamicUrn(old.type.split("/")[1]!.split(":")[0]!, old.type.split(":").pop()!, c.key);

      // The remote object the state names, made through the old stub.
      const made = await host.create(urn, old.inputs);
      const state: Props = { ...old.outs };
      for (const k of c.assigned) state[k] = made.outs[k];
      // Today's code still writes exactly what the release wrote.
      expect(made.outs).toEqual(state);
      const id = c.idFrom ? String(state[c.idFrom]) : old.id;
      expect(made.id).toBe(id);

      // pulumi refresh: the stub from the state reads the release's outputs, and finds no drift.
      const read = await host.read(id, urn, state);
      expect(read?.id).toBe(id);
      expect(without(read?.props, "__provider")).toEqual(without(state, "__provider"));

      // pulumi up with a changed declaration, still through the old stub.
      const checked = await host.check(urn, state, { ...old.inputs, ...c.change });
      expect(checked.failures).toEqual([]);
      expect(await host.diff(id, urn, state, checked.inputs)).toMatchObject({ changes: true, replaces: [] });
      const updated = await host.update(id, urn, state, checked.inputs);
      c.expectChanged(id);

      // pulumi destroy.
      await host.delete(id, urn, { ...updated, __provider: stub });
      expect(c.remote(id)).toBeUndefined();
    });
  }
});
