// Sourcegraph's code host connections (external services) for the stand-in: each has a kind, a
// display name and a JSONC `config` whose `url` names the code host; the API has no `url` field, so
// clients parse it out of `config`, as Sourcegraph's own UI does. `externalServices` lists them
// newest first, `after` being the relay ID of the previous page's last one (`id < after`), and
// `first` omitted means no limit. Source: sourcegraph-public-snapshot
// cmd/frontend/graphqlbackend/external_services.go (ExternalServices, PageInfo).
import { marshalId, unmarshalId } from "./relay";

export interface CodeHostConnectionRecord {
  readonly dbId: number;
  /** The relay ID, `ExternalService:<n>`. */
  readonly id: string;
  readonly kind: string;
  displayName: string;
  /** The JSONC configuration as Sourcegraph returns it (secrets redacted). */
  config: string;
  readonly createdAt: string;
  updatedAt: string;
}

export interface CodeHostStore {
  readonly rows: Map<number, CodeHostConnectionRecord>;
  nextId: number;
}

export function externalServiceId(n: number): string {
  return marshalId("ExternalService", n);
}

/** A configuration like the one Sourcegraph shows: JSONC, a comment, the token redacted. */
export function configFor(kind: string, url: string): string {
  const token =
    kind === "BITBUCKETSERVER" || kind === "BITBUCKETCLOUD"
      ? '"password": "REDACTED"'
      : '"token": "REDACTED"';
  return `{\n  // Added by the stand-in.\n  "url": ${JSON.stringify(url)},\n  ${token},\n}\n`;
}

export function insertCodeHost(
  store: CodeHostStore,
  fields: { kind: string; url?: string; displayName?: string; config?: string },
): CodeHostConnectionRecord {
  if (fields.config === undefined && fields.url === undefined)
    throw new Error("Sourcegraph stand-in: a code host connection needs a url or a config");
  const dbId = store.nextId++;
  const at = new Date().toISOString().replace(/\.\d{3}Z$/, "Z");
  const row: CodeHostConnectionRecord = {
    dbId,
    id: externalServiceId(dbId),
    kind: fields.kind,
    displayName: fields.displayName ?? `${fields.kind} ${fields.url ?? dbId}`,
    config: fields.config ?? configFor(fields.kind, fields.url!),
    createdAt: at,
    updatedAt: at,
  };
  store.rows.set(dbId, row);
  return row;
}

function renderCodeHost(r: CodeHostConnectionRecord) {
  return {
    __typename: "ExternalService",
    id: r.id,
    kind: r.kind,
    displayName: r.displayName,
    config: r.config,
    createdAt: r.createdAt,
    updatedAt: r.updatedAt,
    rateLimiterState: null,
    repoCount: 0,
    webhookURL: null,
    warning: null,
    lastSyncError: null,
    lastSyncAt: null,
    nextSyncAt: null,
    syncJobs: () => ({ totalCount: 0 }),
    checkConnection: "AVAILABLE",
    hasConnectionCheck: false,
    supportsRepoExclusion: false,
    unrestricted: false,
  };
}

export function queryCodeHosts(
  store: CodeHostStore,
  args: { first?: number | null; after?: string | null },
  webhookLogs: unknown,
) {
  let before = Number.POSITIVE_INFINITY;
  if (args.after !== undefined && args.after !== null) {
    const u = unmarshalId(args.after);
    if (u?.kind !== "ExternalService" || !/^\d+$/.test(u.spec))
      throw new Error(`invalid external service ID: ${JSON.stringify(args.after)}`);
    before = Number(u.spec);
  }
  const all = [...store.rows.values()].sort((a, b) => b.dbId - a.dbId);
  const rows = all.filter((r) => r.dbId < before);
  const limited = args.first === undefined || args.first === null ? rows : rows.slice(0, args.first);
  const more = limited.length < rows.length && limited.length > 0;
  return {
    nodes: limited.map((r) => ({ ...renderCodeHost(r), webhookLogs })),
    totalCount: all.length,
    pageInfo: {
      hasNextPage: more,
      endCursor: more ? limited[limited.length - 1]!.id : null,
    },
  };
}
