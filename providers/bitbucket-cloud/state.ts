// The state's shape across versions, and how it is made from the inputs and Bitbucket's answer.
import { normalizeEvents } from "../events";
import { normalizedOrAsIs, type Props, schemaVersionOf, nonEmptyString as str } from "../shared";
import type { RemoteHook } from "./client";
import { type Connection, DEFAULT_API_URL, type Inputs, type Outputs, SCHEMA_VERSION } from "./types";

function connectionOf(v: unknown): Connection | undefined {
  if (!v || typeof v !== "object") return undefined;
  const c = v as Record<string, unknown>;
  const out: Connection = {};
  for (const k of ["apiUrl", "token", "email", "apiToken"] as const) {
    const s = str(c[k]);
    if (s !== undefined) out[k] = s;
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

/**
 * Reads the state written by any version of this provider (the installed code runs on every state,
 * old or new). Version 1 is the first; an older or unversioned shape is read field by field with
 * the same defaults.
 */
export function upgradeOutputs(props: Props, id: string): Outputs {
  schemaVersionOf(props, SCHEMA_VERSION, `Bitbucket Cloud webhook ${id}`);
  const repository = str(props.repository);
  const secret = str(props.secret);
  const connection = connectionOf(props.bitbucketCloud);
  return {
    schemaVersion: SCHEMA_VERSION,
    uuid: str(props.uuid) ?? "",
    apiUrl: normalizedOrAsIs(str(props.apiUrl) ?? connection?.apiUrl ?? DEFAULT_API_URL),
    workspace: str(props.workspace) ?? "",
    ...(repository !== undefined ? { repository } : {}),
    url: typeof props.url === "string" ? props.url : "",
    events: Array.isArray(props.events) ? props.events.filter((e): e is string => typeof e === "string") : [],
    description: typeof props.description === "string" ? props.description : "",
    active: props.active !== false,
    secretSet: props.secretSet === true,
    ...(secret !== undefined ? { secret } : {}),
    ...(connection !== undefined ? { bitbucketCloud: connection } : {}),
  };
}

/**
 * The state after a create, update or read. The secret is write-only on Bitbucket: the declared
 * one is kept only while Bitbucket reports a secret, so a lost secret shows up as a diff.
 */
export function outputsFrom(
  where: Pick<Inputs, "apiUrl" | "workspace" | "repository" | "bitbucketCloud">,
  remote: RemoteHook,
  declaredSecret: string | undefined,
): Outputs {
  return {
    schemaVersion: SCHEMA_VERSION,
    uuid: remote.uuid,
    apiUrl: where.apiUrl,
    workspace: where.workspace,
    ...(where.repository !== undefined ? { repository: where.repository } : {}),
    url: remote.url,
    events: normalizeEvents(remote.events),
    description: remote.description,
    active: remote.active,
    secretSet: remote.secretSet,
    ...(declaredSecret !== undefined && remote.secretSet ? { secret: declaredSecret } : {}),
    ...(where.bitbucketCloud !== undefined ? { bitbucketCloud: where.bitbucketCloud } : {}),
  };
}
