import { AmbiguousRequestError } from "../http";

/**
 * The one more create after an ambiguous first one found nothing made. If that one is ambiguous
 * too, the error says what fixes it: the next run looks again and adopts what either one made.
 */
export async function createOnceMore<T>(create: () => Promise<T>, identity: string): Promise<T> {
  try {
    return await create();
  } catch (err) {
    if (!(err instanceof AmbiguousRequestError)) throw err;
    throw new AmbiguousRequestError(
      `${err.message}. This was the second try: the next \`pulumi up\` looks again and adopts what was made (${identity})`,
      err.url,
      err,
    );
  }
}
