export * as events from "./events";
export {
  type BitbucketServerConnectionInput,
  BitbucketServerWebhook,
  type BitbucketServerWebhookArgs,
} from "./resources/bitbucket-server-webhook";
export {
  type BitbucketCloudConnectionInput,
  BitbucketCloudWebhook,
  type BitbucketCloudWebhookArgs,
} from "./resources/bitbucket-cloud-webhook";
export { SourcegraphReceiver, type SourcegraphReceiverArgs } from "./resources/sourcegraph-receiver";
