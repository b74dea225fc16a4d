// The GraphQL root of the fake: the webhook resolvers of Sourcegraph 5.5+ (older behaviour behind
// the version switch), with their exact error messages. Sources: Sourcegraph cmd/frontend/backend/
// webhooks.go, internal/database/webhooks.go and cmd/frontend/internal/repos/webhooks/resolvers/
// (resolver.go and its resolver_test.go).
import { randomUUID } from "node:crypto";
import { type CodeHostStore, queryCodeHosts } from "./code-hosts";
import { type LogStore, queryLogs, type WebhookLogsArgs } from "./logs";
import { goNormalizeBaseUrl } from "./normalize";
import { parseWebhookCursor, webhookCursor, webhookId, webhookNumber } from "./relay";

export interface FakeUser {
  readonly id: number;
  readonly username: string;
  readonly siteAdmin: boolean;
}

export interface ReceiverRecord {
  /** The database primary key; `id` is its relay ID. */
  readonly dbId: number;
  readonly id: string;
  readonly uuid: string;
  name: string;
  codeHostKind: string;
  codeHostURN: string;
  secret: string | null;
  createdAt: string;
  updatedAt: string;
  createdBy: FakeUser | null;
  updatedBy: FakeUser | null;
}

export interface Toggles {
  /** The Sourcegraph version the fake behaves as; below 5.5 a Bitbucket Cloud secret is refused. */
  version: string;
  /** What `node(id:)` does for a missing webhook: the resolver's error (default) or a plain null. */
  nodeNotFound: "error" | "null";
  /** `Webhook.url` is built from this (Sourcegraph's `externalURL`); the fake's own URL by default. */
  externalURL: string;
  /** Site config `webhook.logging.enabled`: while false, deliveries leave no webhook log. Default true. */
  webhookLogging: boolean;
}

export interface FakeDb {
  receivers: Map<number, ReceiverRecord>;
  nextId: number;
  toggles: Toggles;
  logs: LogStore;
  codeHosts: CodeHostStore;
}

export function olderThan55(version: string): boolean {
  const [major = 0, minor = 0] = version.split(".").map((p) => Number.parseInt(p, 10) || 0);
  return major < 5 || (major === 5 && minor < 5);
}

function now(): string {
  return new Date().toISOString().replace(/\.\d{3}Z$/, "Z");
}

/** backend.validateCodeHostKindAndSecret, before and after 5.5 (PR #63198). */
export function validateKindAndSecret(
  kind: string,
  secret: string | null | undefined,
  version: string,
): void {
  const hasSecret = secret !== null && secret !== undefined;
  switch (kind) {
    case "GITHUB":
    case "GITLAB":
    case "BITBUCKETSERVER":
      return;
    case "BITBUCKETCLOUD":
      if (hasSecret && olderThan55(version)) {
        throw new Error("webhooks do not support secrets for code host kind BITBUCKETCLOUD");
      }
      return;
    case "AZUREDEVOPS":
      if (hasSecret) throw new Error("webhooks do not support secrets for code host kind AZUREDEVOPS");
      return;
    default:
      throw new Error(`webhooks are not supported for code host kind ${kind}`);
  }
}

function normalizeUrn(raw: string): string {
  const r = goNormalizeBaseUrl(raw);
  if (!r.ok) throw new Error(r.error);
  return r.value;
}

interface Ctx {
  user: FakeUser;
}

function requireAdmin(ctx: Ctx): void {
  if (!ctx.user.siteAdmin) throw new Error("must be site admin");
}

const userObject = (u: FakeUser | null) =>
  u && { __typename: "User", id: `VXNlcjo${u.id}`, username: u.username, url: `/users/${u.username}` };

const emptyConnection = () => ({
  nodes: [],
  totalCount: 0,
  pageInfo: { endCursor: null, hasNextPage: false },
});

export function webhookObject(r: ReceiverRecord, db: FakeDb) {
  const url = new URL(db.toggles.externalURL);
  // resolver.go assigns the path, so a path prefix in externalURL is dropped.
  url.pathname = `/.api/webhooks/${r.uuid}`;
  return {
    __typename: "Webhook",
    id: r.id,
    uuid: r.uuid,
    url: url.toString(),
    name: r.name,
    codeHostKind: r.codeHostKind,
    codeHostURN: r.codeHostURN,
    secret: r.secret,
    createdAt: r.createdAt,
    updatedAt: r.updatedAt,
    createdBy: userObject(r.createdBy),
    updatedBy: userObject(r.updatedBy),
    webhookLogs: (args: WebhookLogsArgs) => queryLogs(db.logs, args, r.dbId),
  };
}

export function insertReceiver(
  db: FakeDb,
  fields: { name: string; codeHostKind: string; codeHostURN: string; secret?: string | null },
  by: FakeUser | null,
): ReceiverRecord {
  const dbId = db.nextId++;
  const at = now();
  const record: ReceiverRecord = {
    dbId,
    id: webhookId(dbId),
    uuid: randomUUID(),
    name: fields.name,
    codeHostKind: fields.codeHostKind,
    codeHostURN: normalizeUrn(fields.codeHostURN),
    secret: fields.secret ?? null,
    createdAt: at,
    updatedAt: at,
    createdBy: by,
    updatedBy: null,
  };
  db.receivers.set(dbId, record);
  return record;
}

export function rootValue(db: FakeDb) {
  const find = (id: string) => {
    const n = webhookNumber(id);
    return { n, record: n === undefined ? undefined : db.receivers.get(n) };
  };
  return {
    node: (args: { id: string }, ctx: Ctx) => {
      requireAdmin(ctx);
      const { n, record } = find(args.id);
      // NodeByID knows many kinds; this fake only webhooks, so every other ID is "invalid".
      if (n === undefined) throw new Error("invalid id");
      if (!record) {
        if (db.toggles.nodeNotFound === "null") return null;
        throw new Error(`webhook with ID ${n} not found`);
      }
      return webhookObject(record, db);
    },

    webhooks: (args: { first?: number | null; after?: string | null; kind?: string | null }, ctx: Ctx) => {
      requireAdmin(ctx);
      let from = Number.NEGATIVE_INFINITY;
      if (args.after !== undefined && args.after !== null) {
        const c = parseWebhookCursor(args.after);
        if ("error" in c) throw new Error(c.error);
        from = c.from;
      }
      const rows = [...db.receivers.values()]
        .filter((r) => r.dbId >= from && (!args.kind || r.codeHostKind === args.kind))
        .sort((a, b) => a.dbId - b.dbId);
      // No `first` means no limit (the SDL's "20 items" is not what the resolver does).
      const limited =
        args.first === undefined || args.first === null ? rows : rows.slice(0, Math.max(0, args.first));
      const next = limited.length < rows.length ? rows[limited.length] : undefined;
      return {
        nodes: limited.map((r) => webhookObject(r, db)),
        totalCount: rows.length,
        pageInfo: { hasNextPage: next !== undefined, endCursor: next ? webhookCursor(next.dbId) : null },
      };
    },

    webhookLogs: (args: WebhookLogsArgs, ctx: Ctx) => {
      requireAdmin(ctx);
      return queryLogs(db.logs, args);
    },
    externalServices: (args: { first?: number | null; after?: string | null }, ctx: Ctx) => {
      // CheckExternalServiceAccess: site admins only, for connections outside a namespace.
      requireAdmin(ctx);
      // The deprecated ExternalService.webhookLogs: receivers made under Incoming webhooks log none here.
      return queryCodeHosts(db.codeHosts, args, emptyConnection);
    },
    codeHosts: (_args: unknown, ctx: Ctx) => {
      requireAdmin(ctx);
      return { ...emptyConnection(), isMigrationDone: true };
    },

    createWebhook: (
      args: { name: string; codeHostKind: string; codeHostURN: string; secret?: string | null },
      ctx: Ctx,
    ) => {
      requireAdmin(ctx);
      validateKindAndSecret(args.codeHostKind, args.secret, db.toggles.version);
      normalizeUrn(args.codeHostURN);
      // store.Create: without an encryption key an empty secret encrypts to nothing.
      if (args.secret === "") throw new Error("empty secret and key provided");
      return webhookObject(insertReceiver(db, args, ctx.user), db);
    },

    updateWebhook: (
      args: {
        id: string;
        name?: string | null;
        codeHostKind?: string | null;
        codeHostURN?: string | null;
        secret?: string | null;
      },
      ctx: Ctx,
    ) => {
      requireAdmin(ctx);
      const { n, record } = find(args.id);
      if (!record) throw new Error(`update webhook: webhook with ID ${n ?? args.id} not found`);
      // 5.5+: the resolver turns null into "" and the backend treats "" as "not given".
      const kind = args.codeHostKind ? args.codeHostKind : record.codeHostKind;
      validateKindAndSecret(kind, args.secret, db.toggles.version);
      const urn = args.codeHostURN ? normalizeUrn(args.codeHostURN) : record.codeHostURN;
      if (args.secret === "") throw new Error("update webhook: empty secret and key provided");
      if (args.name) record.name = args.name;
      record.codeHostKind = kind;
      record.codeHostURN = urn;
      if (args.secret !== undefined && args.secret !== null) record.secret = args.secret;
      record.updatedAt = now();
      record.updatedBy = ctx.user;
      return webhookObject(record, db);
    },

    deleteWebhook: (args: { id: string }, ctx: Ctx) => {
      requireAdmin(ctx);
      const { n, record } = find(args.id);
      if (!record) {
        throw new Error(
          `delete webhook: failed to delete webhook: webhook with ID ${n ?? args.id} not found`,
        );
      }
      db.receivers.delete(record.dbId);
      return { alwaysNil: null };
    },
  };
}
