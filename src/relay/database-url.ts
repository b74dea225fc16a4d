// The PostgreSQL URL of the relay's store, and its redaction. The URL is a credential: it usually
// carries a password (`postgres://user:password@host/db`, or `?password=`), so the text of it that
// reaches a log line, an error or a usage message is always `display`, and any text that came from
// the driver goes through `redact` first (a driver or a proxy may echo the password in its own
// words). Only the driver ever sees `href`.
import { REDACTED, redact as redactSecrets } from "../../providers/http";

/** An example to give in messages: no password, TLS verified. */
export const DATABASE_URL_EXAMPLE = "postgres://relay@db.example.com:5432/sg_webhooks?sslmode=verify-full";

export interface DatabaseUrl {
  /** The URL as given, password included: for the driver only. */
  readonly href: string;
  /** The URL with its password (in the user part and in any `password=` parameter) redacted. */
  readonly display: string;
  /** `text` with this URL, and its password in any form, redacted. */
  redact(text: string): string;
}

/** URL schemes PostgreSQL's clients (libpq, node-postgres) read as a connection URL. */
const SCHEMES = new Set(["postgres:", "postgresql:"]);

/**
 * Parses a database URL given by `source` (a flag or an environment variable, named in every
 * message). Throws with the fix, never with the value (it may hold the password).
 */
export function parseDatabaseUrl(value: string, source: string): DatabaseUrl {
  const given = value.trim();
  if (given === "") throw new Error(`${source} is empty; give a URL such as ${DATABASE_URL_EXAMPLE}`);
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//.exec(given)?.[1];
  if (scheme === undefined) {
    // libpq also reads `host=… password=…`, which node-postgres does not.
    throw new Error(
      `${source} must be a postgres:// or postgresql:// URL, such as ${DATABASE_URL_EXAMPLE}${/\w=/.test(given) ? " (key=value settings are not read: write them as the URL's query parameters, ?sslmode=verify-full)" : ""}`,
    );
  }
  if (!SCHEMES.has(`${scheme.toLowerCase()}:`)) {
    throw new Error(
      `${source} must be a postgres:// or postgresql:// URL, not ${scheme}://; give PostgreSQL's, such as ${DATABASE_URL_EXAMPLE}${scheme.toLowerCase().startsWith("sqlite") || scheme.toLowerCase() === "file" ? ", or keep the store in SQLite with --data-dir DIR instead" : ""}`,
    );
  }
  let url: URL | undefined;
  try {
    url = new URL(given);
  } catch {
    url = undefined;
  }
  // An `@` the parser did not take as the end of the user part means a password with an unencoded
  // `/`, `?` or `#` in it: the URL would name another host, and the password would show in it.
  if (url === undefined || (given.includes("@") && url.username === "" && url.password === "")) {
    throw new Error(
      `${source} is not a valid URL; percent-encode special characters in the user and password (@ as %40, / as %2F, ? as %3F, # as %23), such as ${DATABASE_URL_EXAMPLE}`,
    );
  }
  const secrets = passwordsOf(given, url);
  const display = redactDatabaseUrl(given);
  return {
    href: given,
    display,
    redact: (text) => redactSecrets(redactDatabaseUrl(text.split(given).join(display)), secrets),
  };
}

/** The passwords a URL carries, as written and decoded: each is looked for in text to redact. */
function passwordsOf(given: string, url: URL): string[] {
  const found = new Set<string>();
  const add = (s: string | null) => {
    if (!s) return;
    found.add(s);
    try {
      found.add(decodeURIComponent(s));
    } catch {
      // Not percent-encoded after all: as written is enough.
    }
  };
  add(url.password);
  // The WHATWG parser re-encodes some characters; the password as the user typed it is looked for too.
  add(/^[^:]+:\/\/[^/?#]*?:([^/?#]*)@/.exec(given)?.[1] ?? null);
  for (const [key, val] of url.searchParams) if (key.toLowerCase() === "password") add(val);
  return [...found];
}

/**
 * Every PostgreSQL URL in `text` with its password redacted: the `user:password@` part keeps its
 * user, and `password=` parameters (in a URL or as libpq's `password=…` setting) keep their name.
 */
export function redactDatabaseUrl(text: string): string {
  return text
    .replace(
      /\b(postgres(?:ql)?:\/\/)([^\s/?#@]*?):([^\s/?#]*)@/gi,
      (_m, scheme: string, user: string) => `${scheme}${user}:${REDACTED}@`,
    )
    .replace(/([?&\s]|^)(password)=([^&\s#'"]*)/gi, (_m, before: string, name: string) => {
      return `${before}${name}=${REDACTED}`;
    });
}
