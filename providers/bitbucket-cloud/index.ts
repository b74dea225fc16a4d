// Bitbucket Cloud repository and workspace webhooks as a Pulumi dynamic provider. The serialized
// stubs in users' state call `provider`: its name never changes.
export { check } from "./check";
export {
  describeTarget,
  HookClient,
  type HookPayload,
  type HookTarget,
  hookTarget,
  type RemoteHook,
} from "./client";
export { credentialFromConnection, credentialFromEnv, type Target, withClient } from "./credentials";
export { diff, hookChanges, REPLACE_KEYS } from "./diff";
export { BitbucketCloudError, type BitbucketCloudErrorReason, CREDENTIALS_HINT, isRefused } from "./errors";
export { provider } from "./provider";
export { outputsFrom, upgradeOutputs } from "./state";
export { SendTransport } from "./transport";
export {
  type Connection,
  DEFAULT_API_URL,
  DEFAULT_DESCRIPTION,
  ENV,
  type Inputs,
  type Outputs,
  SCHEMA_VERSION,
} from "./types";
