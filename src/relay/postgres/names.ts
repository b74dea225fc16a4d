// The names the PostgreSQL store uses inside the database: its schema (chosen by the operator, so
// quoted, never pasted), the tables in it, the NOTIFY channel and the advisory lock keys.

/** The schema unless `--database-schema` says otherwise. */
export const DEFAULT_SCHEMA = "sg_webhooks";

/**
 * PostgreSQL truncates identifiers beyond 63 bytes (NAMEDATALEN - 1), and the wake channel is the
 * schema's name plus `_wake`: a longer name would silently meet another schema's channel.
 */
const MAX_SCHEMA_BYTES = 58;

/**
 * The first key of every advisory lock the store takes ("SGWH"); the second is the schema's hash,
 * so relays on different schemas of one database never wait for each other.
 */
const LOCK_SPACE = 0x53475748;

/** What each advisory lock guards. */
export const LOCKS = { migrate: 0, sweep: 1, prune: 2, import: 3 } as const;

export interface Names {
  /** The schema as written by the operator. */
  readonly schema: string;
  /** The quoted schema, safe to put into SQL. */
  readonly quoted: string;
  readonly deliveries: string;
  readonly versions: string;
  /** The rows copied from SQLite data directories (copy-from-sqlite.ts). */
  readonly imported: string;
  /** The NOTIFY channel (text for pg_notify) and its quoted form (for LISTEN). */
  readonly channel: string;
  readonly quotedChannel: string;
  /** The first key of the advisory locks of `what`; the second is `hashtext(schema)`. */
  lockKey(what: keyof typeof LOCKS): number;
}

/** A double-quoted identifier: embedded quotes doubled, so any name is one identifier. */
export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** Checks the schema name and derives the store's other names from it. */
export function namesFor(schema: string = DEFAULT_SCHEMA): Names {
  if (schema.length === 0)
    throw new Error("the database schema name is empty; give a name such as sg_webhooks");
  if (schema.includes("\0")) throw new Error("the database schema name contains a NUL character");
  if (Buffer.byteLength(schema, "utf8") > MAX_SCHEMA_BYTES) {
    throw new Error(
      `the database schema name "${schema}" is longer than ${MAX_SCHEMA_BYTES} bytes; choose a shorter one`,
    );
  }
  const quoted = quoteIdent(schema);
  const channel = `${schema}_wake`;
  return {
    schema,
    quoted,
    deliveries: `${quoted}.deliveries`,
    versions: `${quoted}.schema_version`,
    imported: `${quoted}.imported`,
    channel,
    quotedChannel: quoteIdent(channel),
    lockKey: (what) => LOCK_SPACE + LOCKS[what],
  };
}
