// The installed code runs on state written by every version of the package (the state holds only
// a forwarding stub), so each provider's state upgrade reads every older shape. A newer shape it
// cannot know: reading it as an older one could send a stale ID or endpoint to a remote API.
import { NewerStateError } from "./errors";
import type { Props } from "./provider";

/**
 * The `schemaVersion` stored in `props` (0 for state from before it existed). Throws
 * `NewerStateError` when it is newer than `supported`; `what` names the resource in the message.
 */
export function schemaVersionOf(props: Props, supported: number, what: string): number {
  const version = typeof props.schemaVersion === "number" ? props.schemaVersion : 0;
  if (version > supported) throw new NewerStateError(what, version, supported);
  return version;
}
