// Bitbucket Cloud repository and workspace webhooks as a Pulumi dynamic provider.
export { check, DEFAULT_DESCRIPTION } from "./check";
export { BitbucketCloudError, HookClient, type HookPayload, type HookScope, type RemoteHook } from "./client";
export {
  type Connection,
  DEFAULT_API_URL,
  ENV,
  type Inputs,
  type Outputs,
  SCHEMA_VERSION,
} from "./config";
export { diff, REPLACE_KEYS } from "./diff";
export { SendTransport } from "./fetch-adapter";
export { provider } from "./provider";
