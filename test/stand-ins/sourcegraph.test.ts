// The Sourcegraph fake holds to Sourcegraph's contract (cmd/frontend/backend/webhooks.go, the
// webhook resolvers' resolver_test.go): if it did not, the provider tests against it would prove
// nothing.
import { createHmac } from "node:crypto";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  ADMIN_TOKEN,
  type SourcegraphFake,
  startSourcegraphFake,
  USER_TOKEN,
  webhookCursor,
} from "../../src/stand-ins/sourcegraph";

let fake: SourcegraphFake;

beforeAll(async () => {
  fake = await startSourcegraphFake();
});
afterAll(async () => {
  await fake.close();
});
beforeEach(() => {
  fake.reset();
});

async function gql(
  query: string,
  variables: Record<string, unknown> = {},
  token: string | null = ADMIN_TOKEN,
) {
  const res = await fetch(`${fake.url}/.api/graphql?Test`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      ...(token === null ? {} : { authorization: `token ${token}` }),
    },
    body: JSON.stringify({ query, variables }),
  });
  const text = await res.text();
  let body: any;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  return { status: res.status, text, body, type: res.headers.get("content-type") };
}

const CREATE =
  "mutation C($name: String!, $codeHostKind: String!, $codeHostURN: String!, $secret: String) { createWebhook(name: $name, codeHostKind: $codeHostKind, codeHostURN: $codeHostURN, secret: $secret) { id uuid url name codeHostKind codeHostURN secret } }";

describe("Sourcegraph fake: transport", () => {
  it("answers plain-text 401s for a missing, malformed or unknown token", async () => {
    const missing = await gql("{ webhooks { totalCount } }", {}, null);
    expect([missing.status, missing.text]).toEqual([401, "Private mode requires authentication.\n"]);
    expect(missing.type).toBe("text/plain; charset=utf-8");
    const unknown = await gql("{ webhooks { totalCount } }", {}, "sgp_nope");
    expect([unknown.status, unknown.text]).toEqual([401, "Invalid access token.\n"]);
    const malformed = await gql("{ webhooks { totalCount } }", {}, "");
    expect([malformed.status, malformed.text]).toEqual([401, "Invalid Authorization header.\n"]);
  });

  it("refuses a user who is not a site admin, as a GraphQL error with HTTP 200", async () => {
    const r = await gql(
      CREATE,
      { name: "n", codeHostKind: "GITHUB", codeHostURN: "https://github.com" },
      USER_TOKEN,
    );
    expect(r.status).toBe(200);
    expect(r.body.data).toBeNull();
    expect(r.body.errors[0]).toMatchObject({ message: "must be site admin", path: ["createWebhook"] });
    const n = await gql('{ node(id: "V2ViaG9vazox") { id } }', {}, USER_TOKEN);
    expect(n.body.errors[0].message).toBe("must be site admin");
  });

  it("validates against the real SDL: there is no webhook(id:) query and no stats field", async () => {
    const r = await gql('{ webhook(id: "V2ViaG9vazox") { id } }');
    expect(r.status).toBe(200);
    expect(r.body.errors[0].message).toMatch(/^Cannot query field "webhook" on type "Query"\./);
    const s = await gql("{ webhooks { nodes { stats { total } } } }");
    expect(s.body.errors[0].message).toMatch(/Cannot query field "stats" on type "Webhook"/);
    expect(fake.operations).toHaveLength(0);
  });
});

describe("Sourcegraph fake: receivers", () => {
  it("creates with relay IDs from 1, a normalized URN, and a URL under /.api/webhooks", async () => {
    const r = await gql(CREATE, { name: "a", codeHostKind: "GITHUB", codeHostURN: "https://GitHub.com" });
    const w = r.body.data.createWebhook;
    expect(w).toMatchObject({
      id: "V2ViaG9vazox",
      name: "a",
      codeHostKind: "GITHUB",
      codeHostURN: "https://github.com/",
    });
    expect(w.secret).toBeNull();
    expect(w.uuid).toMatch(/^[0-9a-f-]{36}$/);
    expect(w.url).toBe(`${fake.url}/.api/webhooks/${w.uuid}`);
    const second = await gql(CREATE, {
      name: "b",
      codeHostKind: "GITLAB",
      codeHostURN: "https://GitLab.Example.com/gitlab",
    });
    expect(second.body.data.createWebhook).toMatchObject({
      id: "V2ViaG9vazoy",
      codeHostURN: "https://gitlab.example.com/gitlab/",
    });
  });

  it("rejects an unknown kind, an empty secret, and (before 5.5) a Bitbucket Cloud secret", async () => {
    const kind = await gql(CREATE, {
      name: "n",
      codeHostKind: "InvalidKind",
      codeHostURN: "https://github.com",
    });
    expect(kind.body).toMatchObject({
      data: null,
      errors: [
        { message: "webhooks are not supported for code host kind InvalidKind", path: ["createWebhook"] },
      ],
    });
    const lower = await gql(CREATE, { name: "n", codeHostKind: "github", codeHostURN: "https://github.com" });
    expect(lower.body.errors[0].message).toBe("webhooks are not supported for code host kind github");
    const empty = await gql(CREATE, {
      name: "n",
      codeHostKind: "GITHUB",
      codeHostURN: "https://github.com",
      secret: "",
    });
    expect(empty.body.errors[0].message).toBe("empty secret and key provided");
    const bbc = {
      name: "n",
      codeHostKind: "BITBUCKETCLOUD",
      codeHostURN: "https://bitbucket.org",
      secret: "s",
    };
    expect((await gql(CREATE, bbc)).body.data.createWebhook.secret).toBe("s");
    fake.toggles.version = "5.4.2";
    expect((await gql(CREATE, bbc)).body.errors[0].message).toBe(
      "webhooks do not support secrets for code host kind BITBUCKETCLOUD",
    );
    expect((await gql(CREATE, { ...bbc, secret: null })).body.data.createWebhook.secret).toBeNull();
    const azure = await gql(CREATE, { ...bbc, codeHostKind: "AZUREDEVOPS" });
    expect(azure.body.errors[0].message).toBe(
      "webhooks do not support secrets for code host kind AZUREDEVOPS",
    );
  });

  it("reads by node(id:), with the resolver's not-found errors", async () => {
    const r = fake.seed({
      name: "x",
      codeHostKind: "GITHUB",
      codeHostURN: "https://github.com",
      secret: "s1",
    });
    const q = "query Q($id: ID!) { node(id: $id) { __typename ... on Webhook { id uuid name secret } } }";
    expect((await gql(q, { id: r.id })).body.data.node).toEqual({
      __typename: "Webhook",
      id: r.id,
      uuid: r.uuid,
      name: "x",
      secret: "s1",
    });
    fake.remove(r.id);
    const gone = await gql(q, { id: r.id });
    expect(gone.body).toMatchObject({
      data: { node: null },
      errors: [{ message: "webhook with ID 1 not found" }],
    });
    fake.toggles.nodeNotFound = "null";
    expect((await gql(q, { id: r.id })).body).toEqual({ data: { node: null } });
    const upd = await gql('mutation { updateWebhook(id: "V2ViaG9vazoy", name: "n") { id } }');
    expect(upd.body.errors[0].message).toBe("update webhook: webhook with ID 2 not found");
    const del = await gql('mutation { deleteWebhook(id: "V2ViaG9vazo0Mg==") { alwaysNil } }');
    expect(del.body.errors[0].message).toBe(
      "delete webhook: failed to delete webhook: webhook with ID 42 not found",
    );
  });

  it("updates only what is given, re-normalizing the URN, and keeps the secret on null", async () => {
    const r = fake.seed({
      name: "x",
      codeHostKind: "GITHUB",
      codeHostURN: "https://github.com",
      secret: "s1",
    });
    const q =
      "mutation U($id: ID!, $name: String, $codeHostURN: String, $secret: String) { updateWebhook(id: $id, name: $name, codeHostURN: $codeHostURN, secret: $secret) { name codeHostURN secret } }";
    expect(
      (await gql(q, { id: r.id, name: "new name", codeHostURN: null, secret: null })).body.data.updateWebhook,
    ).toEqual({
      name: "new name",
      codeHostURN: "https://github.com/",
      secret: "s1",
    });
    expect(
      (await gql(q, { id: r.id, codeHostURN: "https://example.github.com" })).body.data.updateWebhook
        .codeHostURN,
    ).toBe("https://example.github.com/");
    expect((await gql(q, { id: r.id, secret: "" })).body.errors[0].message).toBe(
      "update webhook: empty secret and key provided",
    );
    expect((await gql('mutation { deleteWebhook(id: "V2ViaG9vazox") { alwaysNil } }')).body).toEqual({
      data: { deleteWebhook: { alwaysNil: null } },
    });
  });

  it("pages with first/after, the cursor naming the first row of the next page", async () => {
    for (let i = 0; i < 5; i++)
      fake.seed({ name: `r${i}`, codeHostKind: i % 2 ? "GITLAB" : "GITHUB", codeHostURN: "https://h" });
    const q =
      "query W($first: Int, $after: String, $kind: ExternalServiceKind) { webhooks(first: $first, after: $after, kind: $kind) { nodes { id } totalCount pageInfo { hasNextPage endCursor } } }";
    const p1 = (await gql(q, { first: 2 })).body.data.webhooks;
    expect(p1).toEqual({
      nodes: [{ id: "V2ViaG9vazox" }, { id: "V2ViaG9vazoy" }],
      totalCount: 5,
      pageInfo: { hasNextPage: true, endCursor: webhookCursor(3) },
    });
    const p3 = (await gql(q, { first: 2, after: webhookCursor(5) })).body.data.webhooks;
    expect(p3).toEqual({
      nodes: [{ id: "V2ViaG9vazo1" }],
      totalCount: 1,
      pageInfo: { hasNextPage: false, endCursor: null },
    });
    expect((await gql(q, {})).body.data.webhooks.nodes).toHaveLength(5);
    expect((await gql(q, { kind: "GITLAB" })).body.data.webhooks.totalCount).toBe(2);
    expect((await gql(q, { first: 1, after: "invalid-cursor-value" })).body.errors[0].message).toBe(
      'cannot unmarshal webhook cursor type: ""',
    );
  });
});

describe("Sourcegraph fake: deliveries", () => {
  const deliver = (uuid: string, headers: Record<string, string>, body: string | Buffer<ArrayBuffer>) =>
    fetch(`${fake.url}/.api/webhooks/${uuid}`, { method: "POST", headers, body });
  const hub = (secret: string, body: string | Buffer) =>
    `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`;

  it("records a delivery's headers and raw bytes, and answers 404/400 as the router does", async () => {
    const r = fake.seed({
      name: "x",
      codeHostKind: "GITHUB",
      codeHostURN: "https://github.com",
      secret: "s",
    });
    const body = Buffer.from('{"zen":"Keep it logically awesome."}');
    const ok = await deliver(
      r.uuid,
      { "x-github-event": "ping", "content-type": "application/json", "x-hub-signature-256": hub("s", body) },
      body,
    );
    expect(ok.status).toBe(200);
    const d = fake.deliveries.at(-1)!;
    expect(d).toMatchObject({
      uuid: r.uuid,
      receiverId: r.id,
      receiverName: "x",
      codeHostKind: "GITHUB",
      secretChecked: true,
      status: 200,
      message: "",
      event: "ping",
    });
    expect(d.headers["x-github-event"]).toBe("ping");
    expect(d.body.equals(body)).toBe(true);
    const unknown = await fetch(`${fake.url}/.api/webhooks/00000000-0000-4000-8000-000000000000`, {
      method: "POST",
    });
    expect([unknown.status, await unknown.text()]).toEqual([
      404,
      "Could not find webhook with provided UUID.\n",
    ]);
    expect(fake.deliveries.at(-1)).toMatchObject({
      uuid: "00000000-0000-4000-8000-000000000000",
      status: 404,
      secretChecked: false,
    });
    expect(fake.deliveries.at(-1)!.receiverName).toBeUndefined();
    const bad = await fetch(`${fake.url}/.api/webhooks/SomeInvalidUUID`, { method: "POST" });
    expect([bad.status, await bad.text()]).toEqual([
      400,
      'Could not parse UUID from URL path "SomeInvalidUUID".\n',
    ]);
    // Go's uuid.Parse takes the braced and bare forms too.
    const bare = await deliver(
      r.uuid.replaceAll("-", "").toUpperCase(),
      { "x-github-event": "ping", "content-type": "application/json", "x-hub-signature-256": hub("s", body) },
      body,
    );
    expect(bare.status).toBe(200);
  });

  it("checks each delivery with the receiver's secret, and answers as the code host's handler does", async () => {
    const gh = fake.seed({
      name: "gh",
      codeHostKind: "GITHUB",
      codeHostURN: "https://github.com",
      secret: "s",
    });
    const gl = fake.seed({
      name: "gl",
      codeHostKind: "GITLAB",
      codeHostURN: "https://gitlab.example.com",
      secret: "tok",
    });
    const open = fake.seed({ name: "open", codeHostKind: "GITLAB", codeHostURN: "https://gl.example.com" });
    const ghBody = '{"ref":"refs/heads/main"}';
    const ghHeaders = { "x-github-event": "push", "content-type": "application/json" };
    const answers = async (res: Response) => [res.status, await res.text()];
    const refusedSignature = [400, "Could not validate payload with secret.\n"];

    expect(await answers(await deliver(gh.uuid, ghHeaders, ghBody))).toEqual(refusedSignature);
    expect(
      await answers(
        await deliver(gh.uuid, { ...ghHeaders, "x-hub-signature-256": hub("other", ghBody) }, ghBody),
      ),
    ).toEqual(refusedSignature);
    expect(
      await answers(
        await deliver(gh.uuid, { ...ghHeaders, "x-hub-signature-256": hub("s", ghBody) }, ghBody),
      ),
    ).toEqual([200, ""]);

    const push = '{"object_kind":"push"}';
    expect(await answers(await deliver(gl.uuid, { "x-gitlab-token": "wrong" }, push))).toEqual(
      refusedSignature,
    );
    expect(await answers(await deliver(gl.uuid, { "x-gitlab-token": "tok" }, push))).toEqual([200, ""]);
    // A kind Sourcegraph does not handle: 204, so GitLab does not retry it.
    const wiki = '{"object_kind":"wiki_page"}';
    expect(await answers(await deliver(gl.uuid, { "x-gitlab-token": "tok" }, wiki))).toEqual([204, ""]);
    // No secret on the receiver: nothing is checked.
    expect(await answers(await deliver(open.uuid, {}, push))).toEqual([200, ""]);

    expect(fake.deliveries.map((d) => [d.receiverName, d.status, d.event ?? d.message])).toEqual([
      ["gh", 400, "Could not validate payload with secret."],
      ["gh", 400, "Could not validate payload with secret."],
      ["gh", 200, "push"],
      ["gl", 400, "Could not validate payload with secret."],
      ["gl", 200, "push"],
      ["gl", 204, "kind: wiki_page: unknown object kind"],
      ["open", 200, "push"],
    ]);
    expect(fake.deliveries.map((d) => d.secretChecked)).toEqual([true, true, true, true, true, true, false]);

    // The secret at the time of the delivery: a rotation outside Pulumi refuses the old one.
    gl.secret = "rotated";
    expect(await answers(await deliver(gl.uuid, { "x-gitlab-token": "tok" }, push))).toEqual(
      refusedSignature,
    );
  });
});
