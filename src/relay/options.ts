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
      `${flag} "${value}" is not a URL; give the base URL, such as https://sourcegraph.example.com`,
    );
  }
  if (u.protocol !== "http:" && u.protocol !== "https:")
    throw new Error(`${flag} "${value}" must be an http(s) URL`);
  if (u.search || u.hash) throw new Error(`${flag} "${value}" must not have a query or fragment`);
  return u.href.replace(/\/+$/, "");
}
