// The database URL is a credential. Whatever the store logs or throws goes through here first:
// pg's own messages, Node's errors and the URL itself, with the password found in every form the
// relay's URL parsing knows (database-url.ts, shared with the CLI's flags).
import { parseDatabaseUrl } from "../database-url";

export interface Redactor {
  /** `text` with the URL's password masked (and any other URL's password). */
  (text: string): string;
  /** The URL without its password, for logs and messages. */
  readonly target: string;
}

/**
 * A redactor for the password of `connectionString`. Throws (without the URL) when it is not a
 * postgres:// URL, saying how to write one.
 */
export function redactorFor(connectionString: string): Redactor {
  const url = parseDatabaseUrl(connectionString, "the database URL");
  return Object.assign((text: string) => url.redact(text), { target: url.display });
}
