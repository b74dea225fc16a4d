import { type CodeHost, defaultEvents, KNOWN_EVENTS, normalizeEvents, unknownEventsError } from "../events";
import { containsUnknown } from "./unknown";

export type EventListCheck =
  /** Sorted and de-duplicated, ready to store. */
  | { readonly status: "valid"; readonly events: string[] }
  /** Not known yet (preview): kept as given, and checked again when known. */
  | { readonly status: "unknown"; readonly events: unknown }
  | { readonly status: "invalid"; readonly problem: string };

/**
 * Checks a hook's `events` input (absent: the code host's default subscription): a non-empty list
 * of names the code host knows. `valid` is what the message offers, when a hook takes only some.
 */
export function checkEventList(
  host: CodeHost,
  value: unknown,
  valid: readonly string[] = KNOWN_EVENTS[host],
): EventListCheck {
  const events = value ?? defaultEvents(host);
  if (containsUnknown(events)) return { status: "unknown", events };
  if (!Array.isArray(events) || events.length === 0 || events.some((e) => typeof e !== "string")) {
    return {
      status: "invalid",
      problem: `events must be a non-empty list of ${host} event names; valid: ${valid.join(", ")}`,
    };
  }
  const problem = unknownEventsError(host, events);
  return problem ? { status: "invalid", problem } : { status: "valid", events: normalizeEvents(events) };
}
