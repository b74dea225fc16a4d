// Sourcegraph's GraphQL API for incoming-webhook receivers, over the shared HTTP layer (timeouts,
// retries with backoff honouring Retry-After, one limiter per origin). Queries are idempotent and
// retried; mutations are not replayed after a failure that may have reached the server.
// Sources: Sourcegraph cmd/frontend/graphqlbackend/schema.graphql (the SDL, copied in
// src/stand-ins/sourcegraph/webhooks.graphql), cmd/frontend/backend/webhooks.go and
// cmd/frontend/internal/httpapi/auth.go.
import { AmbiguousRequestError, ConnectionError, excerpt, redact, send } from "../http";
import { notSiteAdmin, olderThan55, SourcegraphError, unauthorized } from "./errors";
import { configUrl } from "./jsonc";
import type { Receiver } from "./types";

export interface SourcegraphConnection {
  /** The instance URL, such as https://sourcegraph.example.com (no /.api). */
  readonly endpoint: string;
  readonly accessToken: string;
  /** More values to keep out of error messages (webhook secrets). */
  readonly secrets?: ReadonlyArray<string | undefined>;
}

const FIELDS = "fragment ReceiverFields on Webhook { id uuid url name codeHostKind codeHostURN secret }";

export const OPERATIONS = {
  ReceiverById: `query ReceiverById($id: ID!) { node(id: $id) { __typename ...ReceiverFields } } ${FIELDS}`,
  Receivers: `query Receivers($first: Int!, $after: String, $kind: ExternalServiceKind) { webhooks(first: $first, after: $after, kind: $kind) { nodes { ...ReceiverFields } pageInfo { hasNextPage endCursor } } } ${FIELDS}`,
  CreateReceiver: `mutation CreateReceiver($name: String!, $codeHostKind: String!, $codeHostURN: String!, $secret: String) { createWebhook(name: $name, codeHostKind: $codeHostKind, codeHostURN: $codeHostURN, secret: $secret) { ...ReceiverFields } } ${FIELDS}`,
  UpdateReceiver: `mutation UpdateReceiver($id: ID!, $name: String, $codeHostKind: String, $codeHostURN: String, $secret: String) { updateWebhook(id: $id, name: $name, codeHostKind: $codeHostKind, codeHostURN: $codeHostURN, secret: $secret) { ...ReceiverFields } } ${FIELDS}`,
  DeleteReceiver: "mutation DeleteReceiver($id: ID!) { deleteWebhook(id: $id) { alwaysNil } }",
  // Request headers are read to match a logged delivery to the code host's (delivery ID, event,
  // hook ID), and the response body only to recognise a refused signature: neither leaves this file.
  WebhookLogs: `query WebhookLogs($webhookID: ID!, $first: Int!, $after: String, $onlyErrors: Boolean, $since: DateTime) { webhookLogs(webhookID: $webhookID, first: $first, after: $after, onlyErrors: $onlyErrors, since: $since) { nodes { id receivedAt statusCode request { headers { name values } } response { body } } pageInfo { hasNextPage endCursor } } }`,
  CodeHostConnections: `query CodeHostConnections($first: Int!, $after: String) { externalServices(first: $first, after: $after) { nodes { id kind displayName config } pageInfo { hasNextPage endCursor } } }`,
} as const;

export type OperationName = keyof typeof OPERATIONS;

const NOT_FOUND = /webhook with ID \S+ not found/;

/**
 * Runs one operation. GraphQL errors come back as HTTP 200 with `errors`; a bad token is a
 * plain-text 401. Every failure becomes a SourcegraphError whose message names the fix.
 */
export async function graphql<T>(
  conn: SourcegraphConnection,
  operation: OperationName,
  variables: Record<string, unknown>,
): Promise<T> {
  const secrets = [conn.accessToken, ...(conn.secrets ?? [])];
  const clean = (s: string) => redact(s, secrets);
  const mutation = OPERATIONS[operation].startsWith("mutation");
  let res: Awaited<ReturnType<typeof send>>;
  try {
    res = await send({
      method: "POST",
      // The query string only names the operation in Sourcegraph's logs and metrics.
      url: `${conn.endpoint}/.api/graphql?${operation}`,
      headers: {
        authorization: `token ${conn.accessToken}`,
        "content-type": "application/json",
        accept: "application/json",
        "user-agent": "pulumi-sourcegraph-webhooks",
      },
      body: JSON.stringify({ query: OPERATIONS[operation], variables, operationName: operation }),
      idempotent: !mutation,
      secrets,
      service: "Sourcegraph",
    });
  } catch (err) {
    if (err instanceof ConnectionError) {
      throw new SourcegraphError(
        clean(
          `Cannot reach Sourcegraph at ${conn.endpoint}: ${err.summary} (set sourcegraph.endpoint or SRC_ENDPOINT; an existing receiver uses the endpoint stored in the state)`,
        ),
        "unreachable",
        { cause: err },
      );
    }
    throw err;
  }

  if (res.status === 401) throw unauthorized(conn.endpoint);
  let body: { data?: unknown; errors?: Array<{ message?: unknown }> } | undefined;
  try {
    body = JSON.parse(res.body);
  } catch {
    body = undefined;
  }
  if (res.status === 403) {
    const why = excerpt(body?.errors?.map((e) => String(e.message)).join("; ") ?? res.body, secrets);
    throw new SourcegraphError(
      clean(`Sourcegraph at ${conn.endpoint} answered 403 to ${operation}: ${why}`),
      "forbidden",
    );
  }
  if (res.status !== 200 || body === null || typeof body !== "object") {
    const said = excerpt(res.body, secrets, 200);
    const answered = `Sourcegraph at ${conn.endpoint} answered ${res.status} to ${operation}${said ? `: ${said}` : ""}`;
    const hint =
      res.status === 429
        ? `still rate limited after ${res.attempts} attempts; try again later`
        : res.status >= 500
          ? `Sourcegraph is failing or unavailable (${res.attempts} attempts); try again later`
          : `is ${conn.endpoint} the URL of a Sourcegraph instance, without /.api?`;
    throw new SourcegraphError(clean(`${answered} (${hint})`), "http");
  }
  const messages = (body.errors ?? []).map((e) => String(e.message));
  if (messages.length > 0) {
    if (messages.includes("must be site admin")) throw notSiteAdmin(conn.endpoint);
    if (messages.some((m) => m.includes("do not support secrets for code host kind BITBUCKETCLOUD"))) {
      throw olderThan55(conn.endpoint);
    }
    const notFound = messages.some((m) => NOT_FOUND.test(m));
    throw new SourcegraphError(
      clean(`Sourcegraph at ${conn.endpoint} refused ${operation}: ${excerpt(messages.join("; "), secrets)}`),
      notFound ? "notFound" : "graphql",
    );
  }
  if (body.data === null || body.data === undefined) {
    throw new SourcegraphError(
      clean(`Sourcegraph at ${conn.endpoint} answered ${operation} with neither data nor errors`),
      "http",
    );
  }
  return body.data as T;
}

/** One receiver by its GraphQL ID, or undefined when it does not exist (any more). */
export async function getReceiver(conn: SourcegraphConnection, id: string): Promise<Receiver | undefined> {
  try {
    const data = await graphql<{ node: (Receiver & { __typename: string }) | null }>(conn, "ReceiverById", {
      id,
    });
    if (data.node?.__typename !== "Webhook") return undefined;
    const { __typename: _, ...receiver } = data.node;
    return receiver;
  } catch (err) {
    // The resolver answers "webhook with ID n not found" rather than null (open question 6).
    if (err instanceof SourcegraphError && err.reason === "notFound") return undefined;
    throw err;
  }
}

/** Every receiver, oldest first, following the cursor (always with `first`: without it there is no limit). */
export async function listReceivers(
  conn: SourcegraphConnection,
  opts: { kind?: string; pageSize?: number } = {},
): Promise<Receiver[]> {
  const out: Receiver[] = [];
  let after: string | null = null;
  for (let page = 0; page < 10_000; page++) {
    const data: {
      webhooks: { nodes: Receiver[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } };
    } = await graphql(conn, "Receivers", { first: opts.pageSize ?? 100, after, kind: opts.kind ?? null });
    out.push(...data.webhooks.nodes);
    if (!data.webhooks.pageInfo.hasNextPage || !data.webhooks.pageInfo.endCursor) break;
    after = data.webhooks.pageInfo.endCursor;
  }
  return out;
}

export interface NewReceiver {
  name: string;
  codeHostKind: string;
  codeHostURN: string;
  /** Omitted: no secret. Never "": Sourcegraph fails on it. */
  secret?: string;
}

/** createWebhook. Throws AmbiguousRequestError when it may have been processed: look before retrying. */
export async function createReceiver(conn: SourcegraphConnection, r: NewReceiver): Promise<Receiver> {
  if (r.secret === "")
    throw new SourcegraphError("refusing to send an empty secret to Sourcegraph", "config");
  const data = await graphql<{ createWebhook: Receiver }>(withSecret(conn, r.secret), "CreateReceiver", {
    name: r.name,
    codeHostKind: r.codeHostKind,
    codeHostURN: r.codeHostURN,
    secret: r.secret ?? null,
  });
  return data.createWebhook;
}

export interface ReceiverPatch {
  name?: string;
  codeHostKind?: string;
  codeHostURN?: string;
  /** A new secret; Sourcegraph cannot clear one. */
  secret?: string;
}

/** updateWebhook: what is left out stays as it is. */
export async function updateReceiver(
  conn: SourcegraphConnection,
  id: string,
  patch: ReceiverPatch,
): Promise<Receiver> {
  if (patch.secret === "")
    throw new SourcegraphError("refusing to send an empty secret to Sourcegraph", "config");
  const data = await graphql<{ updateWebhook: Receiver }>(withSecret(conn, patch.secret), "UpdateReceiver", {
    id,
    name: patch.name ?? null,
    codeHostKind: patch.codeHostKind ?? null,
    codeHostURN: patch.codeHostURN ?? null,
    secret: patch.secret ?? null,
  });
  return data.updateWebhook;
}

/** deleteWebhook; "gone" when there was nothing to delete. */
export async function deleteReceiver(conn: SourcegraphConnection, id: string): Promise<"deleted" | "gone"> {
  // One look-then-resend after an ambiguous failure; the HTTP layer owns every other retry.
  for (let attempt = 0; ; attempt++) {
    try {
      await graphql(conn, "DeleteReceiver", { id });
      return "deleted";
    } catch (err) {
      if (err instanceof SourcegraphError && err.reason === "notFound")
        return attempt === 0 ? "gone" : "deleted";
      // The delete may have happened: the receiver's absence is the answer.
      if (err instanceof AmbiguousRequestError && attempt === 0) {
        if (!(await getReceiver(conn, id))) return "deleted";
        continue;
      }
      throw err;
    }
  }
}

function withSecret(conn: SourcegraphConnection, secret: string | undefined): SourcegraphConnection {
  return secret ? { ...conn, secrets: [...(conn.secrets ?? []), secret] } : conn;
}

/**
 * A delivery as Sourcegraph logged it, reduced to what identifies it: the logged headers and bodies
 * hold tokens and signatures, so they are read here and dropped.
 */
export interface LoggedDelivery {
  readonly id: string;
  /** RFC 3339. */
  readonly receivedAt: string;
  /** What Sourcegraph answered. */
  readonly statusCode: number;
  /** The code host's delivery ID: `X-GitHub-Delivery`, GitLab's `Idempotency-Key`, Bitbucket Cloud's `X-Request-UUID`. */
  readonly deliveryId?: string;
  /** `X-GitHub-Event`, `X-Gitlab-Event` or `X-Event-Key`. */
  readonly event?: string;
  /** `X-GitHub-Hook-ID`, Bitbucket Cloud's `X-Hook-UUID` or the plugin's `X-Hook-ID`. */
  readonly hookId?: string;
  /** Sourcegraph answered "Could not validate payload with secret.": the sender's secret is not the receiver's. */
  readonly refusedSignature: boolean;
}

interface RawLog {
  id: string;
  receivedAt: string;
  statusCode: number;
  request: { headers: Array<{ name: string; values: string[] }> };
  response: { body: string };
}

const SIGNATURE_REFUSED = "Could not validate payload with secret";

function header(raw: RawLog, ...names: string[]): string | undefined {
  const wanted = names.map((n) => n.toLowerCase());
  const found = raw.request.headers.find((h) => wanted.includes(h.name.toLowerCase()));
  return found?.values[0];
}

function toLogged(raw: RawLog): LoggedDelivery {
  const deliveryId = header(raw, "X-GitHub-Delivery", "Idempotency-Key", "X-Request-UUID");
  const event = header(raw, "X-GitHub-Event", "X-Gitlab-Event", "X-Event-Key");
  const hookId = header(raw, "X-GitHub-Hook-ID", "X-Hook-UUID", "X-Hook-ID");
  return {
    id: raw.id,
    receivedAt: raw.receivedAt,
    statusCode: raw.statusCode,
    ...(deliveryId ? { deliveryId } : {}),
    ...(event ? { event } : {}),
    ...(hookId ? { hookId } : {}),
    refusedSignature: raw.response.body.includes(SIGNATURE_REFUSED),
  };
}

/**
 * What Sourcegraph logged for one receiver (by its GraphQL ID), newest first: since `since`
 * (RFC 3339), only errors when asked, at most `limit`. Empty when Sourcegraph's `webhook.logging`
 * is off.
 */
export async function listWebhookLogs(
  conn: SourcegraphConnection,
  webhookId: string,
  options: { since?: string; onlyErrors?: boolean; limit?: number } = {},
): Promise<LoggedDelivery[]> {
  const limit = options.limit ?? 1000;
  const out: LoggedDelivery[] = [];
  let after: string | null = null;
  while (out.length < limit) {
    const data: {
      webhookLogs: { nodes: RawLog[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } };
    } = await graphql(conn, "WebhookLogs", {
      webhookID: webhookId,
      first: Math.min(50, limit - out.length),
      after,
      onlyErrors: options.onlyErrors ?? null,
      since: options.since ?? null,
    });
    out.push(...data.webhookLogs.nodes.map(toLogged));
    if (!data.webhookLogs.pageInfo.hasNextPage || !data.webhookLogs.pageInfo.endCursor) break;
    after = data.webhookLogs.pageInfo.endCursor;
  }
  return out;
}

/** A code host connection (an external service): its kind and the `url` of its configuration. */
export interface CodeHostConnection {
  readonly id: string;
  readonly kind: string;
  readonly displayName: string;
  /** The configuration's `url`, as written there (compare with `sameUrn`). */
  readonly url?: string;
}

/** Every code host connection. Only the configuration's `url` is kept: the rest holds credentials. */
export async function listCodeHostConnections(conn: SourcegraphConnection): Promise<CodeHostConnection[]> {
  const out: CodeHostConnection[] = [];
  let after: string | null = null;
  for (let page = 0; page < 1000; page++) {
    const data: {
      externalServices: {
        nodes: Array<{ id: string; kind: string; displayName: string; config: string }>;
        pageInfo: { hasNextPage: boolean; endCursor: string | null };
      };
    } = await graphql(conn, "CodeHostConnections", { first: 100, after });
    for (const n of data.externalServices.nodes) {
      const url = configUrl(n.config);
      out.push({ id: n.id, kind: n.kind, displayName: n.displayName, ...(url ? { url } : {}) });
    }
    if (!data.externalServices.pageInfo.hasNextPage || !data.externalServices.pageInfo.endCursor) break;
    after = data.externalServices.pageInfo.endCursor;
  }
  return out;
}
