// Sourcegraph's webhook logs for the stand-in: what LogMiddleware stores for every request to the
// delivery route while site config `webhook.logging.enabled` is on (request and response headers
// and bodies, the status, the receiver when one matched), and the `webhookLogs` resolvers that read
// them. Sources (sourcegraph-public-snapshot): cmd/frontend/webhooks/middleware.go,
// internal/database/webhook_logs.go (ORDER BY id DESC, `id <= cursor`, LIMIT first+1, the cursor
// being the next row's ID as a decimal string) and cmd/frontend/graphqlbackend/webhook_logs.go
// (first defaults to 50; webhookID narrows to one receiver; legacyOnly to rows without one).
import type { IncomingHttpHeaders } from "node:http";
import { marshalId, unmarshalId } from "./relay";

export interface WebhookLogRecord {
  readonly id: number;
  readonly receivedAt: Date;
  /** The receiver's database ID, when the UUID named one. */
  readonly webhookId: number | null;
  readonly statusCode: number;
  readonly request: {
    readonly headers: Array<{ name: string; values: string[] }>;
    readonly body: string;
    readonly method: string;
    readonly url: string;
    readonly version: string;
  };
  readonly response: { readonly headers: Array<{ name: string; values: string[] }>; readonly body: string };
}

export interface LogStore {
  readonly rows: WebhookLogRecord[];
  nextId: number;
}

/** Go's textproto.CanonicalMIMEHeaderKey: `x-github-delivery` is stored as `X-Github-Delivery`. */
export function canonicalHeader(name: string): string {
  return name
    .toLowerCase()
    .split("-")
    .map((p) => (p === "" ? p : p[0]!.toUpperCase() + p.slice(1)))
    .join("-");
}

function headerList(
  h: IncomingHttpHeaders | Record<string, string>,
): Array<{ name: string; values: string[] }> {
  const out: Array<{ name: string; values: string[] }> = [];
  for (const [k, v] of Object.entries(h)) {
    if (v === undefined) continue;
    out.push({ name: canonicalHeader(k), values: Array.isArray(v) ? v.map(String) : [String(v)] });
  }
  return out;
}

/** LogMiddleware's row for one request, as the handler answered it. */
export function appendLog(
  store: LogStore,
  entry: {
    webhookId: number | null;
    method: string;
    url: string;
    headers: IncomingHttpHeaders;
    body: Buffer;
    status: number;
    responseHeaders: Record<string, string>;
    responseBody: string;
  },
): WebhookLogRecord {
  const row: WebhookLogRecord = {
    id: store.nextId++,
    receivedAt: new Date(),
    webhookId: entry.webhookId,
    statusCode: entry.status,
    request: {
      headers: headerList(entry.headers),
      body: entry.body.toString("utf8"),
      method: entry.method,
      url: entry.url,
      version: "HTTP/1.1",
    },
    response: { headers: headerList(entry.responseHeaders), body: entry.responseBody },
  };
  store.rows.push(row);
  return row;
}

export interface WebhookLogsArgs {
  first?: number | null;
  after?: string | null;
  onlyErrors?: boolean | null;
  onlyUnmatched?: boolean | null;
  since?: string | null;
  until?: string | null;
  webhookID?: string | null;
  legacyOnly?: boolean | null;
}

function time(value: string, what: string): number {
  const t = Date.parse(value);
  if (Number.isNaN(t)) throw new Error(`${what}: parsing time ${JSON.stringify(value)}: not RFC 3339`);
  return t;
}

/** strconv.ParseInt's error, as Sourcegraph wraps it. */
function cursorOf(after: string): number {
  if (!/^[+-]?\d+$/.test(after)) {
    throw new Error(
      `parsing the after cursor: strconv.ParseInt: parsing ${JSON.stringify(after)}: invalid syntax`,
    );
  }
  return Number(after);
}

function webhookNumberOf(id: string): number {
  const u = unmarshalId(id);
  if (!u) throw new Error("unmarshalling webhook ID: illegal base64 data");
  const n = Number(u.spec);
  if (!Number.isInteger(n))
    throw new Error(`unmarshalling webhook ID: json: cannot unmarshal ${u.spec} into int32`);
  return n;
}

export function renderLog(row: WebhookLogRecord) {
  return {
    __typename: "WebhookLog",
    id: marshalId("WebhookLog", row.id),
    receivedAt: row.receivedAt.toISOString(),
    // Receivers made under Site admin > Incoming webhooks are not code host connections: the
    // middleware sets no external service, so this is null.
    externalService: null,
    statusCode: row.statusCode,
    request: { ...row.request, headers: row.request.headers.map((h) => ({ ...h, values: [...h.values] })) },
    response: {
      ...row.response,
      headers: row.response.headers.map((h) => ({ ...h, values: [...h.values] })),
    },
  };
}

/** The `WebhookLogConnection` for these arguments; `fixedWebhook` is the receiver of `Webhook.webhookLogs`. */
export function queryLogs(store: LogStore, args: WebhookLogsArgs, fixedWebhook?: number) {
  const limit = args.first === undefined || args.first === null ? 50 : args.first;
  const cursor = args.after === undefined || args.after === null ? 0 : cursorOf(args.after);
  let webhook: number | null | undefined = fixedWebhook;
  if (webhook === undefined && args.webhookID) {
    const n = webhookNumberOf(args.webhookID);
    if (n > 0) webhook = n;
  }
  if (args.legacyOnly) webhook = null;
  const since = args.since ? time(args.since, "since") : undefined;
  const until = args.until ? time(args.until, "until") : undefined;
  const matches = (r: WebhookLogRecord) =>
    (webhook === undefined || r.webhookId === webhook) &&
    // onlyUnmatched: no external service, which no receiver-route row has (see renderLog).
    (!args.onlyErrors || r.statusCode < 100 || r.statusCode > 399) &&
    (since === undefined || r.receivedAt.getTime() >= since) &&
    (until === undefined || r.receivedAt.getTime() <= until);
  const all = store.rows.filter(matches).sort((a, b) => b.id - a.id);
  const paged = all.filter((r) => cursor === 0 || r.id <= cursor);
  const taken = limit === 0 ? paged : paged.slice(0, limit + 1);
  const next = limit !== 0 && taken.length === limit + 1 ? taken.pop() : undefined;
  return {
    nodes: taken.map(renderLog),
    totalCount: all.length,
    pageInfo: { hasNextPage: next !== undefined, endCursor: next ? String(next.id) : null },
  };
}
