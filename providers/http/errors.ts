// The HTTP layer's errors, each built with the standard ErrorOptions (`cause`) and carrying what a
// caller branches on or words its own message with as data, never in its text alone.

/** An HTTP answer outside 2xx, after retries (when the status was retryable). */
export class HttpError extends Error {
  override readonly name = "HttpError";
  constructor(
    message: string,
    readonly status: number,
    readonly url: string,
    readonly body: string,
    readonly headers: Record<string, string>,
  ) {
    super(message);
  }
}

/**
 * The request may or may not have reached the server (timeout or reset after the body was sent).
 * A non-idempotent caller must look for what it tried to create before trying again, or it makes
 * a duplicate.
 */
export class AmbiguousRequestError extends Error {
  override readonly name = "AmbiguousRequestError";
  constructor(
    message: string,
    readonly url: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** Why a server could not be reached. */
export type ConnectionFailure = "timeout" | "refused" | "unreachable";

/** What a ConnectionError says of the attempts; the server is named by the caller. */
export interface ConnectionAttempts {
  readonly reason: ConnectionFailure;
  /** What happened, said of the server: `refused the connection`, `timed out after 30000 ms`, `could not be reached (ENOTFOUND: …)`. */
  readonly what: string;
  readonly attempts: number;
}

/** The server could not be reached at all (refused, DNS, TLS) after retries: nothing was sent. */
export class ConnectionError extends Error {
  override readonly name = "ConnectionError";
  readonly reason: ConnectionFailure;
  readonly attempts: number;
  /**
   * The failure and the fix without the server's name, for a caller that names the server in its
   * own words: `refused the connection after 3 attempt(s); check the URL and that the server is up`.
   */
  readonly summary: string;

  constructor(
    /** Who could not be reached, as messages name it: `Sourcegraph at https://sourcegraph.example.com`. */
    server: string,
    readonly url: string,
    failure: ConnectionAttempts,
    options?: ErrorOptions,
  ) {
    const summary = `${failure.what} after ${failure.attempts} attempt(s); check the URL and that the server is up`;
    super(`${server} ${summary}`, options);
    this.reason = failure.reason;
    this.attempts = failure.attempts;
    this.summary = summary;
  }
}
