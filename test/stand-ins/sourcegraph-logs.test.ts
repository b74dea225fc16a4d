// The Sourcegraph stand-in's code host connections and webhook logs, checked with plain HTTP
// against Sourcegraph's resolvers (cmd/frontend/graphqlbackend/webhook_logs.go,
// external_services.go, internal/database/webhook_logs.go, cmd/frontend/webhooks/middleware.go)
// and its SDL: doctor reads both, so a stand-in that answered anything would prove nothing.
import { createHmac } from "node:crypto";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  ADMIN_TOKEN,
  type SourcegraphFake,
  startSourcegraphFake,
  USER_TOKEN,
} from "../../src/stand-ins/sourcegraph";

let sg: SourcegraphFake;

beforeAll(async () => {
  sg = await startSourcegraphFake();
});
afterAll(async () => {
  await sg.close();
});
beforeEach(() => {
  sg.reset();
});

async function gql(query: string, variables: Record<string, unknown> = {}, token = ADMIN_TOKEN) {
  const res = await fetch(`${sg.url}/.api/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `token ${token}` },
    body: JSON.stringify({ query, variables }),
  });
  return (await res.json()) as { data?: any; errors?: Array<{ message: string }> };
}

const SERVICES = `query S($first: Int, $after: String) { externalServices(first: $first, after: $after) {
  nodes { id kind displayName config } totalCount pageInfo { hasNextPage endCursor } } }`;
const LOGS = `query L($webhookID: ID, $first: Int, $after: String, $onlyErrors: Boolean, $since: DateTime, $until: DateTime, $legacyOnly: Boolean) {
  webhookLogs(webhookID: $webhookID, first: $first, after: $after, onlyErrors: $onlyErrors, since: $since, until: $until, legacyOnly: $legacyOnly) {
    nodes { id receivedAt statusCode externalService { id } request { headers { name values } body method url version } response { headers { name values } body } }
    totalCount pageInfo { hasNextPage endCursor } } }`;

const push = (uuid: string, secret: string, body = '{"ref":"refs/heads/main"}') =>
  fetch(`${sg.url}/.api/webhooks/${uuid}`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "x-github-event": "push",
      "x-github-delivery": "72d3162e-cc78-11e3-81ab-4c9367dc0958",
      "x-hub-signature-256": `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`,
    },
    body,
  });

describe("Sourcegraph stand-in: code host connections", () => {
  it("lists externalServices newest first with the url only inside the JSONC config, site admins only", async () => {
    const a = sg.addCodeHostConnection({ kind: "GITHUB", url: "https://ghe.example.com" });
    const b = sg.addCodeHostConnection({
      kind: "GITLAB",
      url: "https://gitlab.example.com",
      displayName: "GitLab",
    });
    const res = await gql(SERVICES);
    expect(res.data.externalServices.totalCount).toBe(2);
    expect(res.data.externalServices.nodes.map((n: { id: string }) => n.id)).toEqual([b.id, a.id]);
    const [gitlab] = res.data.externalServices.nodes;
    expect(gitlab).toMatchObject({ kind: "GITLAB", displayName: "GitLab" });
    // JSONC: a comment and a trailing comma, the token redacted.
    expect(gitlab.config).toContain("//");
    expect(gitlab.config).toContain('"url": "https://gitlab.example.com"');
    expect(() => JSON.parse(gitlab.config)).toThrow();
    expect(gitlab.config).toContain("REDACTED");
    // There is no url field on ExternalService.
    expect((await gql("{ externalServices { nodes { url } } }")).errors?.[0]?.message).toMatch(
      /Cannot query field "url"/,
    );
    expect((await gql(SERVICES, {}, USER_TOKEN)).errors?.[0]?.message).toBe("must be site admin");
  });

  it("pages with first and after (the previous page's last relay ID), and forgets a deleted connection", async () => {
    const made = [1, 2, 3].map((i) =>
      sg.addCodeHostConnection({ kind: "GITHUB", url: `https://gh${i}.example.com` }),
    );
    const first = await gql(SERVICES, { first: 2 });
    expect(first.data.externalServices.pageInfo).toEqual({ hasNextPage: true, endCursor: made[1]!.id });
    const second = await gql(SERVICES, { first: 2, after: first.data.externalServices.pageInfo.endCursor });
    expect(second.data.externalServices.nodes.map((n: { id: string }) => n.id)).toEqual([made[0]!.id]);
    expect(second.data.externalServices.pageInfo.hasNextPage).toBe(false);
    expect(sg.removeCodeHostConnection("https://gh2.example.com")).toBe(true);
    expect(sg.removeCodeHostConnection(made[2]!.id)).toBe(true);
    expect((await gql(SERVICES)).data.externalServices.nodes.map((n: { id: string }) => n.id)).toEqual([
      made[0]!.id,
    ]);
  });
});

describe("Sourcegraph stand-in: webhook logs", () => {
  it("logs each request to the delivery route with Go's header names, the bodies and the answer", async () => {
    const r = sg.seed({
      name: "gh",
      codeHostKind: "GITHUB",
      codeHostURN: "https://ghe.example.com",
      secret: "right",
    });
    expect((await push(r.uuid, "right")).status).toBe(200);
    expect((await push(r.uuid, "wrong")).status).toBe(400);
    const res = await gql(LOGS, { webhookID: r.id });
    const [refused, accepted] = res.data.webhookLogs.nodes;
    expect(res.data.webhookLogs.totalCount).toBe(2);
    expect(accepted).toMatchObject({
      statusCode: 200,
      externalService: null,
      request: {
        method: "POST",
        url: `/.api/webhooks/${r.uuid}`,
        version: "HTTP/1.1",
        body: '{"ref":"refs/heads/main"}',
      },
      response: { body: "" },
    });
    expect(accepted.request.headers).toContainEqual({
      name: "X-Github-Delivery",
      values: ["72d3162e-cc78-11e3-81ab-4c9367dc0958"],
    });
    expect(refused).toMatchObject({
      statusCode: 400,
      response: { body: "Could not validate payload with secret.\n" },
    });
    expect(refused.response.headers).toContainEqual({
      name: "Content-Type",
      values: ["text/plain; charset=utf-8"],
    });
    expect(Date.parse(refused.receivedAt)).toBeGreaterThanOrEqual(Date.parse(accepted.receivedAt));
    // The same rows on the receiver's own field.
    const own = await gql(
      `query N($id: ID!) { node(id: $id) { ... on Webhook { webhookLogs(onlyErrors: true) { nodes { statusCode } totalCount } } } }`,
      { id: r.id },
    );
    expect(own.data.node.webhookLogs).toEqual({ nodes: [{ statusCode: 400 }], totalCount: 1 });
    expect((await gql(LOGS, {}, USER_TOKEN)).errors?.[0]?.message).toBe("must be site admin");
  });

  it("narrows by receiver, errors and time, and pages by the next row's ID", async () => {
    const a = sg.seed({
      name: "a",
      codeHostKind: "GITHUB",
      codeHostURN: "https://a.example.com",
      secret: "s",
    });
    const b = sg.seed({
      name: "b",
      codeHostKind: "GITHUB",
      codeHostURN: "https://b.example.com",
      secret: "s",
    });
    for (let i = 0; i < 5; i++) await push(a.uuid, "s");
    await push(b.uuid, "s");
    await fetch(`${sg.url}/.api/webhooks/00000000-0000-4000-8000-000000000000`, { method: "POST" });
    expect((await gql(LOGS)).data.webhookLogs.totalCount).toBe(7);
    expect((await gql(LOGS, { webhookID: b.id })).data.webhookLogs.totalCount).toBe(1);
    expect((await gql(LOGS, { legacyOnly: true })).data.webhookLogs.nodes).toMatchObject([
      { statusCode: 404 },
    ]);
    expect((await gql(LOGS, { onlyErrors: true })).data.webhookLogs.totalCount).toBe(1);
    const page1 = (await gql(LOGS, { webhookID: a.id, first: 2 })).data.webhookLogs;
    expect(page1.nodes).toHaveLength(2);
    expect(page1.pageInfo.hasNextPage).toBe(true);
    expect(page1.pageInfo.endCursor).toMatch(/^\d+$/);
    const ids: string[] = page1.nodes.map((n: { id: string }) => n.id);
    let after = page1.pageInfo.endCursor;
    while (after) {
      const page = (await gql(LOGS, { webhookID: a.id, first: 2, after })).data.webhookLogs;
      ids.push(...page.nodes.map((n: { id: string }) => n.id));
      after = page.pageInfo.endCursor;
    }
    expect(new Set(ids).size).toBe(5);
    const future = new Date(Date.now() + 60_000).toISOString();
    expect((await gql(LOGS, { since: future })).data.webhookLogs.totalCount).toBe(0);
    expect((await gql(LOGS, { until: future })).data.webhookLogs.totalCount).toBe(7);
    expect((await gql(LOGS, { after: "abc" })).errors?.[0]?.message).toBe(
      'parsing the after cursor: strconv.ParseInt: parsing "abc": invalid syntax',
    );
  });

  it("records nothing while webhook.logging is off, and deliveries are still answered", async () => {
    const r = sg.seed({
      name: "gh",
      codeHostKind: "GITHUB",
      codeHostURN: "https://ghe.example.com",
      secret: "s",
    });
    sg.toggles.webhookLogging = false;
    expect((await push(r.uuid, "s")).status).toBe(200);
    expect(sg.deliveries).toHaveLength(1);
    expect(sg.webhookLogs()).toHaveLength(0);
    expect((await gql(LOGS)).data.webhookLogs.totalCount).toBe(0);
    sg.toggles.webhookLogging = true;
    await push(r.uuid, "s");
    expect(sg.webhookLogs()).toHaveLength(1);
  });

  it("refuses connections during an outage, then answers on the same URL", async () => {
    const r = sg.seed({
      name: "gh",
      codeHostKind: "GITHUB",
      codeHostURN: "https://ghe.example.com",
      secret: "s",
    });
    await sg.refuseConnections();
    await expect(push(r.uuid, "s")).rejects.toThrow();
    await sg.acceptConnections();
    expect((await push(r.uuid, "s")).status).toBe(200);
    expect(sg.webhookLogs()).toHaveLength(1);
  });
});
