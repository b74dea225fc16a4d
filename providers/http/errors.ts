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
    override readonly cause?: unknown,
  ) {
    super(message);
  }
}

/** The server could not be reached at all (refused, DNS, TLS) after retries: nothing was sent. */
export class ConnectionError extends Error {
  override readonly name = "ConnectionError";
  constructor(
    message: string,
    readonly url: string,
    override readonly cause?: unknown,
  ) {
    super(message);
  }
}
