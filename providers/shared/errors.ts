/**
 * The base of every provider's error class: the message names the fix, `reason` says what went
 * wrong as data (callers branch on it, never on the text), and `cause` keeps what it wraps.
 */
export class ProviderError<R extends string = string> extends Error {
  constructor(
    message: string,
    readonly reason: R,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** The state was written by a newer version of this package, whose shape this one cannot know. */
export class NewerStateError extends ProviderError<"newerState"> {
  override readonly name = "NewerStateError";
  constructor(
    what: string,
    readonly version: number,
    readonly supported: number,
  ) {
    super(
      `The state of ${what} was written by a newer pulumi-sourcegraph-webhooks (schemaVersion ${version}; this one reads up to ${supported}): upgrade the pulumi-sourcegraph-webhooks package of the Pulumi program to the version that wrote it or a later one, then run again`,
      "newerState",
    );
  }
}
