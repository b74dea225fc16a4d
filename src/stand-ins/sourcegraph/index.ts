// Stand-in for Sourcegraph's webhook GraphQL API and delivery endpoint; follows reference/sourcegraph-api.md.
// A contract-faithful Sourcegraph for tests and the sandbox: GraphQL executed by the `graphql`
// package against Sourcegraph's own SDL (so a wrong field or argument fails as on Sourcegraph),
// its access-token middleware, the webhook resolvers' validation and messages, relay IDs, cursors,
// and the delivery endpoint `POST /.api/webhooks/<uuid>`. Sources: Sourcegraph cmd/frontend/
// graphqlbackend/schema.graphql, cmd/frontend/backend/webhooks.go, cmd/frontend/internal/httpapi/
// auth.go and cmd/frontend/webhooks/webhooks.go.
import type { IncomingHttpHeaders } from "node:http";
import { execute, type GraphQLSchema, parse, validate } from "graphql";
import { type CodeHostKind, messages, parseUuid, verifyDelivery } from "../../ingest";
import {
  type FakeRequest,
  type FakeResponse,
  type FakeServer,
  json,
  type NetworkOptions,
  startFakeServer,
  text,
} from "../server";
import { type CodeHostConnectionRecord, insertCodeHost } from "./code-hosts";
import { appendLog, type WebhookLogRecord } from "./logs";
import { webhookId } from "./relay";
import {
  type FakeDb,
  type FakeUser,
  insertReceiver,
  type ReceiverRecord,
  rootValue,
  type Toggles,
} from "./resolvers";
import { loadSchema } from "./schema";

export type { CodeHostConnectionRecord } from "./code-hosts";
export type { WebhookLogRecord } from "./logs";
export { marshalId, webhookCursor, webhookId } from "./relay";
export type { ReceiverRecord, Toggles } from "./resolvers";
export { olderThan55 } from "./resolvers";
export { loadSchema } from "./schema";

/** A site admin's token, accepted unless `tokens` replaces the defaults. */
export const ADMIN_TOKEN = "fake-sg-admin-0123456789abcdef0123456789abcdef";
/** A token of a user who is not a site admin. */
export const USER_TOKEN = "fake-sg-user-0123456789abcdef0123456789abcdef01";

export interface TokenOwner {
  readonly username: string;
  readonly siteAdmin: boolean;
}

/** A POST to `/.api/webhooks/<uuid>` with a UUID that parses, and what the endpoint answered. */
export interface Delivery {
  /** The UUID in its canonical form. */
  readonly uuid: string;
  /** The receiver's relay ID, name and kind when the delivery came; absent when no receiver has the UUID. */
  readonly receiverId?: string;
  readonly receiverName?: string;
  readonly codeHostKind?: string;
  /** Whether the receiver had a secret, so that the signature (or GitLab token) was checked. */
  readonly secretChecked: boolean;
  readonly headers: IncomingHttpHeaders;
  /** The raw bytes, as received. */
  readonly body: Buffer;
  readonly receivedAt: Date;
  /** The status answered: 200 accepted, 204 a GitLab kind Sourcegraph ignores, 4xx/5xx refused. */
  readonly status: number;
  /** The text answered (Sourcegraph's words, without the newline); empty with 200. */
  readonly message: string;
  /** The event type the receiver's handler read, when it accepted the delivery. */
  readonly event?: string;
}

export interface SourcegraphFakeOptions {
  port?: number;
  /** Token -> owner. Default: ADMIN_TOKEN (site admin "admin") and USER_TOKEN ("alice"). */
  tokens?: Record<string, TokenOwner>;
  /** The version to behave as (default "5.5.0"); "5.4.0" refuses Bitbucket Cloud secrets. */
  version?: string;
  /** Fields to remove from the SDL, such as "Webhook.secret": a schema the client must not rely on. */
  omitFields?: readonly string[];
  /** `node(id:)` on a deleted webhook: the resolver's error (default) or null. */
  nodeNotFound?: "error" | "null";
  /** Site config `webhook.logging.enabled` (default true, Sourcegraph's default without encryption keys). */
  webhookLogging?: boolean;
  /** Latency and rate limit of the shared plumbing (../server.ts). */
  network?: NetworkOptions;
}

export interface SourcegraphFake extends FakeServer {
  /** The receivers, oldest first; records are live: change one to simulate an edit outside Pulumi. */
  receivers(): ReceiverRecord[];
  receiver(idOrUuid: string): ReceiverRecord | undefined;
  /** Adds a receiver as if made by hand in the site admin UI. The URN is normalized as Sourcegraph does. */
  seed(fields: {
    name: string;
    codeHostKind: string;
    codeHostURN: string;
    secret?: string | null;
  }): ReceiverRecord;
  /** Deletes a receiver outside Pulumi. */
  remove(idOrUuid: string): boolean;
  /** Adds a code host connection (Site admin > Code host connections) for a code host URL, or with a whole JSONC config. */
  addCodeHostConnection(fields: {
    kind: string;
    url?: string;
    displayName?: string;
    config?: string;
  }): CodeHostConnectionRecord;
  /** Deletes a code host connection by relay ID or by its config's url (compared as written). */
  removeCodeHostConnection(idOrUrl: string): boolean;
  codeHostConnections(): CodeHostConnectionRecord[];
  /** What `webhookLogs` reads, oldest first (nothing is recorded while `toggles.webhookLogging` is false). */
  webhookLogs(): WebhookLogRecord[];
  readonly deliveries: Delivery[];
  readonly toggles: Toggles;
  readonly tokens: Record<string, TokenOwner>;
  /** Forgets every receiver, delivery, operation, logged request and fault, restarts IDs at 1 and restores the toggles. */
  reset(): void;
  /** GraphQL requests that reached the resolvers: operation text and variables. */
  readonly operations: Array<{ query: string; variables: Record<string, unknown> }>;
}

export async function startSourcegraphFake(opts: SourcegraphFakeOptions = {}): Promise<SourcegraphFake> {
  const schema: GraphQLSchema = loadSchema(opts.omitFields);
  const tokens: Record<string, TokenOwner> = opts.tokens ?? {
    [ADMIN_TOKEN]: { username: "admin", siteAdmin: true },
    [USER_TOKEN]: { username: "alice", siteAdmin: false },
  };
  const users = new Map<string, FakeUser>();
  const userFor = (owner: TokenOwner): FakeUser => {
    let u = users.get(owner.username);
    if (!u) {
      u = { id: users.size + 1, username: owner.username, siteAdmin: owner.siteAdmin };
      users.set(owner.username, u);
    }
    return { ...u, siteAdmin: owner.siteAdmin };
  };
  const db: FakeDb = {
    receivers: new Map(),
    nextId: 1,
    toggles: {
      version: opts.version ?? "5.5.0",
      nodeNotFound: opts.nodeNotFound ?? "error",
      externalURL: "",
      webhookLogging: opts.webhookLogging ?? true,
    },
    logs: { rows: [], nextId: 1 },
    codeHosts: { rows: new Map(), nextId: 1 },
  };
  const root = rootValue(db);
  const deliveries: Delivery[] = [];
  const operations: Array<{ query: string; variables: Record<string, unknown> }> = [];

  const graphqlEndpoint = async (req: FakeRequest): Promise<FakeResponse> => {
    if (req.method !== "POST") return text(405, "Method Not Allowed\n");
    // AccessTokenAuthMiddleware (httpapi/auth.go): plain-text 401s, newline-terminated.
    const auth = req.headers.authorization;
    if (auth === undefined) return text(401, "Private mode requires authentication.\n");
    const m = /^token(?:\s+(.*))?$/i.exec(auth.trim());
    // Another scheme is ignored: the request is anonymous, and a private instance refuses it.
    if (!m) return text(401, "Private mode requires authentication.\n");
    const token = (m[1] ?? "").trim();
    if (token === "" || /\s/.test(token)) return text(401, "Invalid Authorization header.\n");
    const owner = tokens[token];
    if (!owner) return text(401, "Invalid access token.\n");

    let payload: { query?: unknown; variables?: unknown; operationName?: unknown };
    try {
      payload = JSON.parse(req.body.toString("utf8"));
    } catch (err) {
      return text(400, `${(err as Error).message}\n`);
    }
    if (typeof payload?.query !== "string")
      return json(200, { errors: [{ message: "no query" }], data: null });
    let document: ReturnType<typeof parse>;
    try {
      document = parse(payload.query);
    } catch (err) {
      return json(200, { errors: [{ message: (err as Error).message }] });
    }
    const invalid = validate(schema, document);
    if (invalid.length > 0) return json(200, { errors: invalid.map((e) => e.toJSON()) });
    const variables = (payload.variables ?? {}) as Record<string, unknown>;
    operations.push({ query: payload.query, variables });
    const result = await execute({
      schema,
      document,
      rootValue: root,
      contextValue: { user: userFor(owner) },
      variableValues: variables,
      operationName: typeof payload.operationName === "string" ? payload.operationName : undefined,
    });
    return json(200, {
      ...(result.errors ? { errors: result.errors.map((e) => e.toJSON()) } : {}),
      data: result.data ?? null,
    });
  };

  // cmd/frontend/webhooks/webhooks.go: the UUID, the receiver, then its code host's handler, which
  // checks the signature (or GitLab's token) with the receiver's secret and reads the event type.
  // The handlers' decisions are the project's own ingest, which mirrors them.
  const answerDelivery = async (
    req: FakeRequest,
    raw: string,
  ): Promise<{ status: number; message: string; receiver?: ReceiverRecord }> => {
    if (raw === "") return { status: 400, message: messages.MISSING_UUID };
    const uuid = parseUuid(raw);
    if (uuid === undefined) return { status: 400, message: messages.unparsableUuid(raw) };
    const record = [...db.receivers.values()].find((r) => r.uuid === uuid);
    const received = { uuid, headers: req.headers, body: req.body, receivedAt: new Date() };
    if (!record) {
      deliveries.push({ ...received, secretChecked: false, status: 404, message: messages.UNKNOWN_RECEIVER });
      return { status: 404, message: messages.UNKNOWN_RECEIVER };
    }
    const verdict = await verifyDelivery({
      kind: record.codeHostKind as CodeHostKind,
      headers: req.headers,
      body: req.body,
      secrets: record.secret ? [record.secret] : [],
    });
    const answer = verdict.ok
      ? { status: 200, message: "", event: verdict.event }
      : { status: verdict.status, message: verdict.message };
    deliveries.push({
      ...received,
      receiverId: record.id,
      receiverName: record.name,
      codeHostKind: record.codeHostKind,
      secretChecked: Boolean(record.secret),
      ...answer,
    });
    return { status: answer.status, message: answer.message, receiver: record };
  };

  const deliveryEndpoint = async (req: FakeRequest, raw: string): Promise<FakeResponse> => {
    if (req.method !== "POST") return text(405, "Method Not Allowed\n");
    const { status, message, receiver } = await answerDelivery(req, raw);
    // Go's http.Error for a refusal; an accepted delivery (and GitLab's 204) has no body.
    const out: FakeResponse =
      status === 200 || status === 204
        ? { status }
        : {
            status,
            headers: { "content-type": "text/plain; charset=utf-8", "x-content-type-options": "nosniff" },
            body: `${message}\n`,
          };
    // LogMiddleware: every request to the route while logging is on, matched to a receiver or not.
    if (db.toggles.webhookLogging) {
      appendLog(db.logs, {
        webhookId: receiver?.dbId ?? null,
        method: req.method,
        url: req.path,
        headers: req.headers,
        body: req.body,
        status,
        responseHeaders: out.headers ?? {},
        responseBody: typeof out.body === "string" ? out.body : "",
      });
    }
    return out;
  };

  const server = await startFakeServer(
    (req) => {
      if (req.path === "/.api/graphql") return graphqlEndpoint(req);
      if (req.path.startsWith("/.api/webhooks/") || req.path === "/.api/webhooks") {
        return deliveryEndpoint(req, decodeURIComponent(req.path.slice("/.api/webhooks/".length)));
      }
      return text(404, "404 page not found\n");
    },
    { ...opts.network, port: opts.port },
  );
  db.toggles.externalURL = server.url;

  const lookup = (key: string) =>
    [...db.receivers.values()].find((r) => r.id === key || r.uuid === key || String(r.dbId) === key);

  return Object.assign(server, {
    receivers: () => [...db.receivers.values()].sort((a, b) => a.dbId - b.dbId),
    receiver: lookup,
    seed: (fields: { name: string; codeHostKind: string; codeHostURN: string; secret?: string | null }) =>
      insertReceiver(db, fields, userFor({ username: "admin", siteAdmin: true })),
    remove: (key: string) => {
      const r = lookup(key);
      return r ? db.receivers.delete(r.dbId) : false;
    },
    addCodeHostConnection: (fields: { kind: string; url?: string; displayName?: string; config?: string }) =>
      insertCodeHost(db.codeHosts, fields),
    removeCodeHostConnection: (key: string) => {
      const row = [...db.codeHosts.rows.values()].find(
        (r) => r.id === key || r.config.includes(JSON.stringify(key)),
      );
      return row ? db.codeHosts.rows.delete(row.dbId) : false;
    },
    codeHostConnections: () => [...db.codeHosts.rows.values()].sort((a, b) => a.dbId - b.dbId),
    webhookLogs: () => [...db.logs.rows],
    reset: () => {
      db.receivers.clear();
      db.nextId = 1;
      db.logs.rows.length = 0;
      db.logs.nextId = 1;
      db.codeHosts.rows.clear();
      db.codeHosts.nextId = 1;
      db.toggles.webhookLogging = opts.webhookLogging ?? true;
      deliveries.length = 0;
      operations.length = 0;
      db.toggles.version = opts.version ?? "5.5.0";
      db.toggles.nodeNotFound = opts.nodeNotFound ?? "error";
      db.toggles.externalURL = server.url;
      server.clearFaults();
      server.log.length = 0;
    },
    deliveries,
    toggles: db.toggles,
    tokens,
    operations,
  });
}

/** `Webhook:<n>` as a relay ID, for assertions. */
export const relayIdOf = webhookId;
