// The event presets of each Sourcegraph feature, per code host, and the names each code host knows.
// Sources: Sourcegraph's webhook handlers (cmd/frontend/internal/{batches,repos,authz}/webhooks/)
// and parsers (internal/extsvc/*/events.go), its incoming-webhooks documentation, the Bitbucket Server plugin's WebhookListener, GitHub's catalog as
// @octokit/webhooks lists it, GitLab's project/group hook API and Bitbucket Cloud's hook_event enum.

export type CodeHost = "github" | "gitlab" | "bitbucketServer" | "bitbucketCloud";

export const github = {
  batchChanges: [
    "issue_comment",
    "pull_request",
    "pull_request_review",
    "pull_request_review_comment",
    "check_run",
    "check_suite",
    "status",
  ],
  push: ["push"],
  permissions: ["repository", "member", "organization", "membership", "team"],
} as const;

/** GitLab's boolean hook fields. */
export const gitlab = {
  batchChanges: ["merge_requests_events", "pipeline_events"],
  push: ["push_events"],
} as const;

export const bitbucketServer = {
  batchChanges: [
    "repo:build_status",
    "pr:activity:status",
    "pr:activity:event",
    "pr:activity:rescope",
    "pr:activity:merge",
    "pr:activity:comment",
    "pr:activity:reviewers",
    "pr:participant:status",
  ],
  push: ["repo:refs_changed"],
} as const;

export const bitbucketCloud = {
  batchChanges: [
    "repo:commit_status_created",
    "repo:commit_status_updated",
    "pullrequest:created",
    "pullrequest:updated",
    "pullrequest:approved",
    "pullrequest:unapproved",
    "pullrequest:fulfilled",
    "pullrequest:rejected",
    "pullrequest:comment_created",
    "pullrequest:comment_updated",
    "pullrequest:comment_deleted",
    "pullrequest:comment_resolved",
    "pullrequest:comment_reopened",
    "pullrequest:changes_request_created",
    "pullrequest:changes_request_removed",
  ],
  push: ["repo:push"],
} as const;

/** Every event name GitHub sends (the base names of @octokit/webhooks' `emitterEventNames`). */
export const GITHUB_EVENTS: readonly string[] = [
  "branch_protection_configuration",
  "branch_protection_rule",
  "check_run",
  "check_suite",
  "code_scanning_alert",
  "commit_comment",
  "create",
  "custom_property",
  "custom_property_values",
  "delete",
  "dependabot_alert",
  "deploy_key",
  "deployment",
  "deployment_protection_rule",
  "deployment_review",
  "deployment_status",
  "discussion",
  "discussion_comment",
  "fork",
  "github_app_authorization",
  "gollum",
  "installation",
  "installation_repositories",
  "installation_target",
  "issue_comment",
  "issue_dependencies",
  "issues",
  "label",
  "marketplace_purchase",
  "member",
  "membership",
  "merge_group",
  "meta",
  "milestone",
  "org_block",
  "organization",
  "package",
  "page_build",
  "personal_access_token_request",
  "ping",
  "project",
  "project_card",
  "project_column",
  "projects_v2",
  "projects_v2_item",
  "projects_v2_status_update",
  "public",
  "pull_request",
  "pull_request_review",
  "pull_request_review_comment",
  "pull_request_review_thread",
  "push",
  "registry_package",
  "release",
  "repository",
  "repository_advisory",
  "repository_dispatch",
  "repository_import",
  "repository_ruleset",
  "repository_vulnerability_alert",
  "secret_scanning_alert",
  "secret_scanning_alert_location",
  "secret_scanning_scan",
  "security_advisory",
  "security_and_analysis",
  "sponsorship",
  "star",
  "status",
  "sub_issues",
  "team",
  "team_add",
  "watch",
  "workflow_dispatch",
  "workflow_job",
  "workflow_run",
];

/** Event fields only group hooks have (gitlabhq doc/api/group_webhooks.md). */
export const GITLAB_GROUP_ONLY_EVENTS: readonly string[] = [
  "member_events",
  "project_events",
  "subgroup_events",
];

/**
 * GitLab's hook event fields: project hooks have all but the group-only ones. System hooks'
 * `repository_update_events` is not a project or group hook field.
 */
export const GITLAB_EVENTS: readonly string[] = [
  "push_events",
  "tag_push_events",
  "merge_requests_events",
  "issues_events",
  "confidential_issues_events",
  "note_events",
  "confidential_note_events",
  "job_events",
  "pipeline_events",
  "wiki_page_events",
  "deployment_events",
  "feature_flag_events",
  "releases_events",
  "emoji_events",
  "resource_access_token_events",
  "milestone_events",
  "vulnerability_events",
  "member_events",
  "project_events",
  "subgroup_events",
];

/**
 * Keys the Sourcegraph Bitbucket Server plugin accepts. It matches deliveries by prefix, so the
 * prefixes `pr`, `pr:activity` and `repo` are valid subscriptions too.
 */
export const BITBUCKET_SERVER_EVENTS: readonly string[] = [
  "pr",
  "pr:event",
  "pr:activity",
  ...bitbucketServer.batchChanges,
  "repo",
  ...bitbucketServer.push,
].filter((v, i, all) => all.indexOf(v) === i);

/** Bitbucket Cloud's `hook_event` enum. */
export const BITBUCKET_CLOUD_EVENTS: readonly string[] = [
  "repo:push",
  "repo:fork",
  "repo:updated",
  "repo:transfer",
  "repo:created",
  "repo:deleted",
  "repo:imported",
  "repo:commit_comment_created",
  "repo:commit_status_created",
  "repo:commit_status_updated",
  "pullrequest:created",
  "pullrequest:updated",
  "pullrequest:push",
  "pullrequest:approved",
  "pullrequest:unapproved",
  "pullrequest:fulfilled",
  "pullrequest:rejected",
  "pullrequest:changes_request_created",
  "pullrequest:changes_request_removed",
  "pullrequest:comment_created",
  "pullrequest:comment_updated",
  "pullrequest:comment_deleted",
  "pullrequest:comment_resolved",
  "pullrequest:comment_reopened",
  "issue:created",
  "issue:updated",
  "issue:comment_created",
  "project:updated",
];

/**
 * The event types Sourcegraph's parsers know, per receiver kind: GitLab's body `object_kind`
 * values (internal/extsvc/gitlab/webhooks/events.go; its GitLab presets name the same three) and
 * the X-Event-Key values of Bitbucket Server and Bitbucket Cloud (internal/extsvc/bitbucketserver/
 * events.go, internal/extsvc/bitbucketcloud/events.go). Sourcegraph answers other GitLab kinds
 * with 204, other Bitbucket Server keys with 400 and other Bitbucket Cloud keys with 404. The Bitbucket Cloud parser (5.5) does not know
 * pullrequest:created, comment_resolved nor comment_reopened, although the documentation lists them.
 */
export const SOURCEGRAPH_PARSED_EVENTS = {
  GITLAB: ["merge_request", "pipeline", "push"],
  // The two pings, and exactly the keys of the push and batch changes presets.
  BITBUCKETSERVER: ["ping", "diagnostics:ping", ...bitbucketServer.push, ...bitbucketServer.batchChanges],
  BITBUCKETCLOUD: [
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
  ],
} as const satisfies Record<"GITLAB" | "BITBUCKETSERVER" | "BITBUCKETCLOUD", readonly string[]>;

export const KNOWN_EVENTS: Record<CodeHost, readonly string[]> = {
  github: GITHUB_EVENTS,
  gitlab: GITLAB_EVENTS,
  bitbucketServer: BITBUCKET_SERVER_EVENTS,
  bitbucketCloud: BITBUCKET_CLOUD_EVENTS,
};

const PRESETS = { github, gitlab, bitbucketServer, bitbucketCloud };

/** The default subscription of a code host: batch changes plus push. */
export function defaultEvents(host: CodeHost): string[] {
  return [...PRESETS[host].batchChanges, ...PRESETS[host].push];
}

/** Sourcegraph features a user can pick instead of listing events. */
export type Feature = "batchChanges" | "push" | "permissions";

/** The union of the presets of the chosen features; `permissions` exists on GitHub only. */
export function eventsFor(host: CodeHost, features: readonly Feature[]): string[] {
  const preset: Partial<Record<Feature, readonly string[]>> = PRESETS[host];
  const out = new Set<string>();
  for (const feature of features) {
    const names = preset[feature];
    if (!names) {
      throw new Error(`${host} has no "${feature}" preset; valid: ${Object.keys(preset).join(", ")}`);
    }
    for (const n of names) out.add(n);
  }
  return [...out];
}

/**
 * The error for the first unknown name of a list, or undefined when every name is known. The
 * message lists the valid names, so the fix is in the message.
 */
export function unknownEventsError(host: CodeHost, names: readonly string[]): string | undefined {
  const known = new Set(KNOWN_EVENTS[host]);
  const unknown = names.filter((n) => !known.has(n));
  if (unknown.length === 0) return undefined;
  return `unknown ${host} event${unknown.length > 1 ? "s" : ""} ${unknown.map((n) => `"${n}"`).join(", ")}; valid: ${KNOWN_EVENTS[host].join(", ")}`;
}

/** Event lists are sets: order and repeats carry no meaning. */
export function sameEvents(a: readonly string[], b: readonly string[]): boolean {
  const sa = new Set(a);
  const sb = new Set(b);
  return sa.size === sb.size && [...sa].every((e) => sb.has(e));
}

/** A canonical (sorted, de-duplicated) form, for storing in outputs. */
export function normalizeEvents(names: readonly string[]): string[] {
  return [...new Set(names)].sort();
}
