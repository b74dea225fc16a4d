// Proves concurrent creates and reads on one Bitbucket Server share the plugin's list of webhooks.
// The plugin can only list every webhook: concurrent creates and reads of many hooks on one
// Bitbucket Server share their lists instead of each fetching all of them, and still each see
// their own writes (at most one read per hook on create and refresh).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { provider } from "../../providers/bitbucket-server";
import { type BitbucketServerFake, startBitbucketServerFake } from "../../src/stand-ins/bitbucket-server";

const RECEIVER = "https://sourcegraph.example.com/.api/webhooks/54104dbb-0b71-4a83-aa6b-eef46241614a";
const COUNT = 24;
let bbs: BitbucketServerFake;

beforeAll(async () => {
  // A round trip long enough for the calls of one batch to overlap, as on a real network.
  bbs = await startBitbucketServerFake({ network: { latencyMs: 20 } });
});
afterAll(async () => {
  await bbs.close();
});

async function inputs(i: number): Promise<Record<string, any>> {
  const res = await provider.check(
    {},
    {
      bitbucketServer: { url: bbs.url, token: "bbs-admin-token" },
      webhookName: `lists-${i}`,
      url: RECEIVER,
      secret: `secret${i}`,
    },
  );
  return res.inputs;
}

const gets = () => bbs.server.log.filter((l) => l.method === "GET").length;

describe("Bitbucket Server lists shared by concurrent operations", () => {
  it("creates many hooks at once with one upsert each, fewer lists than hooks, and each its own id", async () => {
    const all = await Promise.all(Array.from({ length: COUNT }, (_, i) => inputs(i)));
    const before = gets();
    const created = await Promise.all(all.map((i) => provider.create(i)));
    expect(gets() - before).toBeLessThanOrEqual(COUNT);
    expect(bbs.server.writes()).toHaveLength(COUNT);
    for (const [i, c] of created.entries()) {
      const hook = bbs.webhook(`lists-${i}`)!;
      expect(c.id).toBe(String(hook.id));
      expect(c.outs).toMatchObject({ webhookId: hook.id, secret: `secret${i}` });
    }
    expect(bbs.webhooks()).toHaveLength(COUNT);

    const reads = gets();
    const read = await Promise.all(created.map((c) => provider.read(c.id, c.outs)));
    // Without sharing: one list of every hook per hook read.
    expect(gets() - reads).toBeLessThan(COUNT / 2);
    expect(read.map((r) => r.id)).toEqual(created.map((c) => c.id));
  });
});
