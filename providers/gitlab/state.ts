import { DEFAULT_GITLAB_URL, type HookOutputs, SCHEMA_VERSION } from "./inputs";

/**
 * Reads the state written by any version of this provider (the installed code runs on every state,
 * old or new). Version 1 is the first; a state without `schemaVersion` is treated as version 1
 * with its defaults filled in.
 */
export function upgradeOutputs(raw: Record<string, unknown>): HookOutputs {
  const hookId = typeof raw.hookId === "number" ? raw.hookId : Number(raw.hookId);
  return {
    ...(raw as Partial<HookOutputs>),
    schemaVersion: SCHEMA_VERSION,
    hookId,
    gitlabUrl: typeof raw.gitlabUrl === "string" ? raw.gitlabUrl : DEFAULT_GITLAB_URL,
    url: String(raw.url ?? ""),
    events: Array.isArray(raw.events) ? (raw.events as string[]) : [],
    enableSslVerification: raw.enableSslVerification !== false,
  };
}
