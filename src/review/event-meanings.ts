// What an event brings Sourcegraph, in a reviewer's words: which feature needs it (the presets of
// providers/events, DESIGN section 5) and what that feature sees through it, so that a diff says
// "batch changes will stop seeing review comments" instead of "-pull_request_review_comment".
import {
  bitbucketCloud,
  bitbucketServer,
  type CodeHost,
  type Feature,
  github,
  gitlab,
} from "../../providers/events";

const PRESETS: { readonly [H in CodeHost]: Partial<Record<Feature, readonly string[]>> } = {
  github,
  gitlab,
  bitbucketServer,
  bitbucketCloud,
};

/** What each event of a preset tells Sourcegraph; an event not listed is shown by its name. */
const MEANINGS: { readonly [H in CodeHost]: Readonly<Record<string, string>> } = {
  github: {
    issue_comment: "pull request comments",
    pull_request: "pull request state changes",
    pull_request_review: "reviews",
    pull_request_review_comment: "review comments",
    check_run: "check runs",
    check_suite: "check suites",
    status: "commit statuses",
    push: "pushes",
    repository: "repository changes",
    member: "collaborator changes",
    organization: "organization membership changes",
    membership: "team membership changes",
    team: "team changes",
  },
  gitlab: {
    merge_requests_events: "merge request changes",
    pipeline_events: "pipeline statuses",
    push_events: "pushes",
  },
  bitbucketServer: {
    "repo:build_status": "build statuses",
    "pr:activity:status": "review statuses",
    "pr:activity:event": "pull request state changes",
    "pr:activity:rescope": "new commits on pull requests",
    "pr:activity:merge": "merges",
    "pr:activity:comment": "comments",
    "pr:activity:reviewers": "reviewer changes",
    "pr:participant:status": "approvals and needs-work marks",
    "repo:refs_changed": "pushes",
  },
  bitbucketCloud: {
    "repo:commit_status_created": "new commit statuses",
    "repo:commit_status_updated": "commit status updates",
    "pullrequest:created": "new pull requests",
    "pullrequest:updated": "pull request updates",
    "pullrequest:approved": "approvals",
    "pullrequest:unapproved": "withdrawn approvals",
    "pullrequest:fulfilled": "merges",
    "pullrequest:rejected": "declined pull requests",
    "pullrequest:comment_created": "new comments",
    "pullrequest:comment_updated": "edited comments",
    "pullrequest:comment_deleted": "deleted comments",
    "pullrequest:comment_resolved": "resolved comments",
    "pullrequest:comment_reopened": "reopened comments",
    "pullrequest:changes_request_created": "change requests",
    "pullrequest:changes_request_removed": "withdrawn change requests",
    "repo:push": "pushes",
  },
};

/** The features in the order sentences name them. */
const FEATURES: readonly Feature[] = ["batchChanges", "push", "permissions"];

/** The feature whose preset holds the event on this code host, if any. */
export function featureOf(host: CodeHost, event: string): Feature | undefined {
  return FEATURES.find((f) => PRESETS[host][f]?.includes(event));
}

/** What the event tells Sourcegraph, or its own name when it is in no preset. */
export function meaningOf(host: CodeHost, event: string): string {
  return MEANINGS[host][event] ?? event;
}

/** `a`, `a and b`, `a, b and c`. */
export function joinWords(words: readonly string[]): string {
  return words.length <= 1 ? (words[0] ?? "") : `${words.slice(0, -1).join(", ")} and ${words.at(-1)}`;
}

const FEATURE_NAMES: { readonly [F in Feature]: string } = {
  batchChanges: "batch changes",
  push: "push",
  permissions: "permissions",
};

/** One sentence per feature concerned: who starts or stops seeing what. `all`: the feature's whole preset is removed. */
function sentence(feature: Feature | undefined, added: boolean, meanings: string[], all: boolean): string {
  const what = joinWords(meanings);
  if (feature === "push")
    return added
      ? "Sourcegraph will hear of pushes and update those repositories at once"
      : "Sourcegraph will stop hearing of pushes (repositories update on its periodic sync only)";
  if (feature === undefined) return `no Sourcegraph feature reads ${what}`;
  const who = feature === "batchChanges" ? "batch changes" : "permission syncs";
  if (all && !added)
    return `${who} will get nothing from this hook (every event ${FEATURE_NAMES[feature]} needs is gone)`;
  return `${who} will ${added ? "start" : "stop"} seeing ${what}`;
}

/**
 * What adding or removing these events of one hook means, feature by feature:
 * `batch changes will stop seeing review comments and check runs`.
 */
export function eventImpact(host: CodeHost, events: readonly string[], added: boolean): string {
  const byFeature = new Map<Feature | undefined, string[]>();
  for (const event of events) {
    const feature = featureOf(host, event);
    byFeature.set(feature, [...(byFeature.get(feature) ?? []), event]);
  }
  const order = [...FEATURES, undefined];
  return order
    .filter((f) => byFeature.has(f))
    .map((f) => {
      const group = byFeature.get(f)!;
      const all = f !== undefined && (PRESETS[host][f] ?? []).every((e) => group.includes(e));
      return sentence(
        f,
        added,
        group.map((e) => meaningOf(host, e)),
        all,
      );
    })
    .join("; ");
}
