export type { CodeHostKind } from "../providers/shared/code-host-kind";
export type * from "./components/args";
export { declarationProblems } from "./components/connections";
export { DeclarationError, InvalidDeclarationError } from "./components/declaration-error";
export {
  type HookKind,
  type HookSummary,
  type ReceiverSummary,
  SourcegraphWebhooks,
  type SourcegraphWebhooksArgs,
} from "./components/sourcegraph-webhooks";
export * as events from "./events";
export type { RelayReceiver } from "./relay/receivers-file";
export {
  type BitbucketCloudConnectionInput,
  BitbucketCloudWebhook,
  type BitbucketCloudWebhookArgs,
} from "./resources/bitbucket-cloud-webhook";
export {
  type BitbucketServerConnectionInput,
  BitbucketServerWebhook,
  type BitbucketServerWebhookArgs,
} from "./resources/bitbucket-server-webhook";
export {
  type GitLabConnectionInput,
  GitLabGroupHook,
  type GitLabGroupHookArgs,
  GitLabProjectHook,
  type GitLabProjectHookArgs,
} from "./resources/gitlab-hooks";
export { SourcegraphReceiver, type SourcegraphReceiverArgs } from "./resources/sourcegraph-receiver";
