// The event types the relay forwards, per receiver kind (DESIGN section 7): every event of the
// presets, every event Sourcegraph's handlers parse (reference/sourcegraph/event-routing.json),
// and for GitHub its whole catalog as @octokit/webhooks lists it. The relay filters on the event
// type only, never on an action.
import { bitbucketCloud, bitbucketServer, GITHUB_EVENTS } from "../../providers/events";
import type { CodeHostKind } from "./types";

/** GitLab's body `object_kind` values Sourcegraph parses (its GitLab presets name the same three). */
const GITLAB_OBJECT_KINDS = ["merge_request", "pipeline", "push"];

/** X-Event-Key values Sourcegraph's Bitbucket Server parser knows. */
const BITBUCKET_SERVER_PARSED = [
  "ping",
  "diagnostics:ping",
  "repo:refs_changed",
  "repo:build_status",
  "pr:activity:status",
  "pr:activity:event",
  "pr:activity:rescope",
  "pr:activity:merge",
  "pr:activity:comment",
  "pr:activity:reviewers",
  "pr:participant:status",
];

/** X-Event-Key values Sourcegraph's Bitbucket Cloud parser knows (5.5). */
const BITBUCKET_CLOUD_PARSED = [
  "pullrequest:approved",
  "pullrequest:changes_request_created",
  "pullrequest:changes_request_removed",
  "pullrequest:comment_created",
  "pullrequest:comment_deleted",
  "pullrequest:comment_updated",
  "pullrequest:fulfilled",
  "pullrequest:rejected",
  "pullrequest:unapproved",
  "pullrequest:updated",
  "repo:commit_status_created",
  "repo:commit_status_updated",
  "repo:push",
];

export const FORWARDED_EVENTS: Readonly<Record<CodeHostKind, ReadonlySet<string>>> = {
  GITHUB: new Set(GITHUB_EVENTS),
  GITLAB: new Set(GITLAB_OBJECT_KINDS),
  BITBUCKETSERVER: new Set([
    ...bitbucketServer.batchChanges,
    ...bitbucketServer.push,
    ...BITBUCKET_SERVER_PARSED,
  ]),
  BITBUCKETCLOUD: new Set([
    ...bitbucketCloud.batchChanges,
    ...bitbucketCloud.push,
    ...BITBUCKET_CLOUD_PARSED,
  ]),
};

export function isForwardedEvent(kind: CodeHostKind, event: string): boolean {
  return FORWARDED_EVENTS[kind].has(event);
}
