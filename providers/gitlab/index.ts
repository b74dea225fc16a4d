// GitLab project and group webhooks as dynamic resources. The serialized stubs in users' state
// call `projectHookProvider` and `groupHookProvider`: their names never change.
import { makeHookProvider } from "./provider";

export { check } from "./check";
export { type HookClient, type HookSettings, hookBody, hookClient, type RemoteHook } from "./client";
export { type Target, withClient } from "./credentials";
export { diff } from "./diff";
export { GitLabError, type GitLabErrorReason, GitLabHttpError, notFoundKind } from "./errors";
export { upgradeOutputs } from "./state";
export { createRequester } from "./transport";
export {
  DEFAULT_GITLAB_URL,
  HOOK_EVENTS,
  type HookScope,
  type Inputs,
  type Outputs,
  SCHEMA_VERSION,
} from "./types";

export const projectHookProvider = makeHookProvider("project");
export const groupHookProvider = makeHookProvider("group");
