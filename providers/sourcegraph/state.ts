// The outputs are the only thing read, update and delete receive, and the installed code reads
// outputs written by every earlier version (the state holds only a forwarding stub): upgrade them
// first.
import { normalizeBaseUrl, type Props, schemaVersionOf, nonEmptyString as str } from "../shared";
import { SourcegraphError } from "./errors";
import { type Outputs, type Receiver, SCHEMA_VERSION } from "./types";
import { normalizeUrn } from "./urn";

/**
 * Brings stored outputs to the current shape. Shape 0 (before `schemaVersion` existed) used
 * Sourcegraph's own field names (`codeHostURN`, `name`) and kept the endpoint only under
 * `sourcegraph.endpoint`.
 */
export function upgradeOutputs(props: Props, id: string): Outputs {
  schemaVersionOf(props, SCHEMA_VERSION, `Sourcegraph receiver ${id}`);
  const sg = (props.sourcegraph ?? undefined) as { endpoint?: unknown; accessToken?: unknown } | undefined;
  const endpoint = str(props.endpoint) ?? str(sg?.endpoint);
  if (!endpoint) {
    throw new SourcegraphError(
      `The state of receiver ${id} records no Sourcegraph endpoint, and another instance must never be guessed from SRC_ENDPOINT: run \`pulumi state delete\` on it and adopt the receiver again (adopt: true)`,
      "config",
    );
  }
  const urn = str(props.codeHostUrn) ?? str(props.codeHostURN) ?? "";
  const sourcegraph =
    sg && (str(sg.endpoint) || str(sg.accessToken))
      ? {
          ...(str(sg.endpoint) ? { endpoint: str(sg.endpoint) } : {}),
          ...(str(sg.accessToken) ? { accessToken: str(sg.accessToken) } : {}),
        }
      : undefined;
  return {
    schemaVersion: SCHEMA_VERSION,
    webhookId: str(props.webhookId) ?? str(props.id) ?? id,
    uuid: str(props.uuid) ?? "",
    url: str(props.url) ?? "",
    codeHostKind: str(props.codeHostKind) ?? "",
    codeHostUrn: urn ? normalizeUrn(urn) : "",
    webhookName: str(props.webhookName) ?? str(props.name) ?? "",
    ...(str(props.secret) ? { secret: str(props.secret) } : {}),
    endpoint: normalizeBaseUrl(endpoint),
    ...(sourcegraph ? { sourcegraph } : {}),
  };
}

/** Outputs from what Sourcegraph answered, plus the instance and the credentials given as inputs. */
export function toOutputs(r: Receiver, endpoint: string, sourcegraph: Outputs["sourcegraph"]): Outputs {
  return {
    schemaVersion: SCHEMA_VERSION,
    webhookId: r.id,
    uuid: r.uuid,
    url: r.url,
    codeHostKind: r.codeHostKind,
    codeHostUrn: r.codeHostURN,
    webhookName: r.name,
    ...(r.secret ? { secret: r.secret } : {}),
    endpoint,
    ...(sourcegraph && (sourcegraph.endpoint || sourcegraph.accessToken)
      ? { sourcegraph: storedCredentials(sourcegraph) }
      : {}),
  };
}

function storedCredentials(s: NonNullable<Outputs["sourcegraph"]>): NonNullable<Outputs["sourcegraph"]> {
  return {
    ...(s.endpoint ? { endpoint: s.endpoint } : {}),
    ...(s.accessToken ? { accessToken: s.accessToken } : {}),
  };
}
