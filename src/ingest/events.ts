// The event types the relay forwards, per receiver kind: every event of the presets, every event
// Sourcegraph's parsers know (so nothing Sourcegraph would act on is dropped), and for GitHub its
// whole catalog as @octokit/webhooks lists it. The relay filters on the event type only, never on
// an action, because Sourcegraph's handlers pick the actions themselves.
import {
  bitbucketCloud,
  bitbucketServer,
  GITHUB_EVENTS,
  SOURCEGRAPH_PARSED_EVENTS,
} from "../../providers/events";
import type { CodeHostKind } from "./types";

export const FORWARDED_EVENTS: Readonly<Record<CodeHostKind, ReadonlySet<string>>> = {
  GITHUB: new Set(GITHUB_EVENTS),
  GITLAB: new Set(SOURCEGRAPH_PARSED_EVENTS.GITLAB),
  BITBUCKETSERVER: new Set([
    ...bitbucketServer.batchChanges,
    ...bitbucketServer.push,
    ...SOURCEGRAPH_PARSED_EVENTS.BITBUCKETSERVER,
  ]),
  BITBUCKETCLOUD: new Set([
    ...bitbucketCloud.batchChanges,
    ...bitbucketCloud.push,
    ...SOURCEGRAPH_PARSED_EVENTS.BITBUCKETCLOUD,
  ]),
};

export function isForwardedEvent(kind: CodeHostKind, event: string): boolean {
  return FORWARDED_EVENTS[kind].has(event);
}
