// Parsing of the relay's flag values, with messages that name the flag.

/** `HOST:PORT`, `[v6]:PORT` or `:PORT` (all interfaces). */
export function parseListen(value: string, flag: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d{1,5})$/.exec(value.trim());
  const port = m ? Number(m[3]) : Number.NaN;
  if (!m || port > 65535) throw new Error(`${flag} "${value}" must be HOST:PORT, such as 0.0.0.0:8080`);
  return { host: m[1] ?? (m[2] || "0.0.0.0"), port };
}

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `500ms`, `30s`, `5m`, `24h`, `7d`, or bare milliseconds. */
export function parseDuration(value: string, flag: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)?$/.exec(value.trim());
  if (!m) throw new Error(`${flag} "${value}" must be a duration such as 500ms, 30s, 5m, 24h or 7d`);
  return Math.round(Number(m[1]) * UNITS[m[2] ?? "ms"]!);
}

export function parsePositiveInt(value: string, flag: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`${flag} "${value}" must be a positive integer`);
  return n;
}

export function parseHttpUrl(value: string, flag: string): string {
  let u: URL;
  try {
    u = new URL(value);
  } catch {
    throw new Error(
      `${flag} "${withoutUserinfo(value)}" is not a URL; give the base URL, such as https://sourcegraph.example.com`,
    );
  }
  if (u.protocol !== "http:" && u.protocol !== "https:")
    throw new Error(`${flag} "${withoutUserinfo(value)}" must be an http(s) URL`);
  if (u.username || u.password) {
    // The value is a credential: it is named without its user and password, never echoed.
    u.username = "";
    u.password = "";
    throw new Error(
      `${flag} must not carry a user or password (${u.href.replace(/\/+$/, "")} was given with them): the relay would not send them, and they would end up in logs. Give the URL without credentials, and forward to Sourcegraph directly, or through a proxy that adds its authentication header itself`,
    );
  }
  if (u.search || u.hash) throw new Error(`${flag} "${value}" must not have a query or fragment`);
  return u.href.replace(/\/+$/, "");
}

/**
 * Sourcegraph's base URL: the relay appends `/.api/...` itself, so a URL that already holds it
 * would send deliveries to `/.api/webhooks/.api/webhooks/<uuid>`.
 */
export function parseSourcegraphUrl(value: string, flag: string): string {
  const url = parseHttpUrl(value, flag);
  const u = new URL(url);
  const at = u.pathname.search(/\/\.api(?:\/|$)/);
  if (at >= 0) {
    u.pathname = u.pathname.slice(0, at);
    const base = u.href.replace(/\/+$/, "");
    throw new Error(
      `${flag} "${url}" must be Sourcegraph's base URL, without ${url.slice(url.indexOf("/.api", u.origin.length))}: the relay appends /.api/... itself; give ${base}`,
    );
  }
  return url;
}

/** pino's levels, and `silent`. */
export const LOG_LEVELS = ["trace", "debug", "info", "warn", "error", "fatal", "silent"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export function parseLogLevel(value: string, flag: string): LogLevel {
  const level = value.trim().toLowerCase();
  if ((LOG_LEVELS as readonly string[]).includes(level)) return level as LogLevel;
  throw new Error(`${flag} "${value}" is not a log level; give one of ${LOG_LEVELS.join(", ")}`);
}

/** A URL's text without a `user:password@` part, for messages about a value that did not parse. */
function withoutUserinfo(value: string): string {
  return value.replace(/\/\/[^/?#]*@/, "//");
}
