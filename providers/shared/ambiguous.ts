// Create is idempotent (a create that may have happened is never blindly sent again): look for
// the object this declaration owns, adopt it if it exists, else create; after a create whose
// outcome is unknown (a timeout or reset after the request was sent), look again before one more.
import { AmbiguousRequestError } from "../http";

/**
 * The one more create after an ambiguous first one found nothing made. If that one is ambiguous
 * too, the error says what fixes it: the next run looks again and adopts what either one made.
 */
async function createOnceMore<T>(create: () => Promise<T>, identity: string): Promise<T> {
  try {
    return await create();
  } catch (err) {
    if (!(err instanceof AmbiguousRequestError)) throw err;
    throw new AmbiguousRequestError(
      `${err.message}. This was the second try: the next \`pulumi up\` looks again and adopts what was made (${identity})`,
      err.url,
      { cause: err },
    );
  }
}

export interface CreateSteps<Found, Made> {
  /** The object this declaration owns, if it exists; `again` after an ambiguous create. */
  find(again: boolean): Promise<Found | undefined>;
  /** Brings a found object to the declared settings. */
  adopt(found: Found, again: boolean): Promise<Made>;
  create(): Promise<Made>;
  /** How objects are matched, for the message when the create stays ambiguous: "the hook with the same receiver URL". */
  readonly identity: string;
}

/** Adopts the object this declaration owns, or creates it: never a duplicate. */
export async function createOrAdopt<Found, Made>(steps: CreateSteps<Found, Made>): Promise<Made> {
  const existing = await steps.find(false);
  if (existing !== undefined) return steps.adopt(existing, false);
  try {
    return await steps.create();
  } catch (err) {
    if (!(err instanceof AmbiguousRequestError)) throw err;
    const made = await steps.find(true);
    if (made !== undefined) return steps.adopt(made, true);
    return createOnceMore(() => steps.create(), steps.identity);
  }
}
