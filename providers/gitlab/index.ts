// GitLab project and group webhooks as dynamic resources. The serialized provider only forwards
// here, so this is always the installed version.
import { makeHookProvider } from "./provider";

export { checkHook } from "./check";
export { diffHook } from "./diff";
export { HOOK_EVENTS, type HookScope } from "./events";
export type { HookInputs, HookOutputs } from "./inputs";
export { createRequester, GitLabHttpError } from "./requester";

export const projectHookProvider = makeHookProvider("project");
export const groupHookProvider = makeHookProvider("group");
