import { type Props, schemaVersionOf } from "../shared";
import { DEFAULT_GITLAB_URL, type Outputs, SCHEMA_VERSION } from "./types";

/**
 * Reads the state written by any version of this provider (the installed code runs on every state,
 * old or new). Version 1 is the first; a state without `schemaVersion` is treated as version 1
 * with its defaults filled in.
 */
export function upgradeOutputs(props: Props, id: string): Outputs {
  schemaVersionOf(props, SCHEMA_VERSION, `GitLab hook ${id}`);
  const hookId = typeof props.hookId === "number" ? props.hookId : Number(props.hookId);
  return {
    ...(props as Partial<Outputs>),
    schemaVersion: SCHEMA_VERSION,
    hookId,
    gitlabUrl: typeof props.gitlabUrl === "string" ? props.gitlabUrl : DEFAULT_GITLAB_URL,
    url: String(props.url ?? ""),
    events: Array.isArray(props.events) ? (props.events as string[]) : [],
    enableSslVerification: props.enableSslVerification !== false,
  };
}
