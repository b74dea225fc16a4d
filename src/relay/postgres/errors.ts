// The errors the PostgreSQL store throws: fresh objects with a redacted message and nothing else
// of the original (pg's errors carry the query and its parameters, Node's URL errors the URL), so
// a logger that serializes every property of an error writes no body and no password.
import type { Redactor } from "./redact";

/** The database could not be reached, or dropped the connection: a 503, and /readyz fails. */
export class PostgresUnavailableError extends Error {
  override readonly name = "PostgresUnavailableError";
  constructor(
    message: string,
    /** pg's or Node's code (`ECONNREFUSED`, `57P01`), when there was one. */
    readonly code: string | undefined,
  ) {
    super(message);
  }
}

/** The database answered with an error (SQL state in `code`). */
export class PostgresStoreError extends Error {
  override readonly name = "PostgresStoreError";
  constructor(
    message: string,
    readonly code: string | undefined,
  ) {
    super(message);
  }
}

/** Node socket errors that mean the server is not there (or not answering). */
const NETWORK_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EPIPE",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ECONNABORTED",
]);

/** pg's own messages when a connection is lost, could not be made in time, or never answered. */
const LOST_CONNECTION =
  /Connection terminated|connection timeout|timeout exceeded when trying to connect|Query read timeout|not queryable|Connection ended/i;

/**
 * Whether `err` says the server is unreachable rather than that it refused a statement: SQL states
 * 08 (connection exception), 57P01-57P03 (shutting down, crashed, starting up), 53300 (too many
 * connections), socket errors and pg's connection messages.
 */
export function isUnavailable(err: unknown): boolean {
  const e = err as { code?: unknown; message?: unknown } | null;
  const code = typeof e?.code === "string" ? e.code : "";
  if (NETWORK_CODES.has(code) || code.startsWith("08") || /^57P0[123]$/.test(code) || code === "53300") {
    return true;
  }
  return typeof e?.message === "string" && LOST_CONNECTION.test(e.message);
}

/** `err` as one of the store's errors, redacted, saying `doing` and where. */
export function storeError(
  err: unknown,
  doing: string,
  redact: Redactor,
): PostgresUnavailableError | PostgresStoreError {
  if (err instanceof PostgresUnavailableError || err instanceof PostgresStoreError) return err;
  const e = err as { code?: unknown; message?: unknown } | null;
  const code = typeof e?.code === "string" ? e.code : undefined;
  const detail = redact(typeof e?.message === "string" && e.message !== "" ? e.message : String(err));
  if (isUnavailable(err)) {
    return new PostgresUnavailableError(
      `PostgreSQL at ${redact.target} is unavailable (${doing}): ${detail}`,
      code,
    );
  }
  return new PostgresStoreError(`PostgreSQL at ${redact.target} refused ${doing}: ${detail}`, code);
}
