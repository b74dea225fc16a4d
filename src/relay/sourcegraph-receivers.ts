// Receivers read from Sourcegraph's GraphQL API (`webhooks(first, after)`), for a relay that
// should follow the receivers Sourcegraph has without a file to keep in sync.
import { redact } from "../../providers/http";
import { isCodeHostKind } from "../../providers/shared/code-host-kind";
import { listReceivers, SourcegraphError } from "../../providers/sourcegraph";
import { parseUuid } from "../ingest";
import type { RelayReceiver } from "./receivers-file";

export interface SourcegraphSource {
  readonly endpoint: string;
  readonly accessToken: string;
}

/** Every receiver of a kind the relay handles; the others (AZUREDEVOPS) are reported in `skipped`. */
export async function fetchReceivers(
  src: SourcegraphSource,
): Promise<{ receivers: RelayReceiver[]; skipped: string[] }> {
  const endpoint = src.endpoint.replace(/\/+$/, "");
  let nodes: Awaited<ReturnType<typeof listReceivers>>;
  try {
    nodes = await listReceivers({ endpoint, accessToken: src.accessToken });
  } catch (err) {
    throw inRelayTerms(err, endpoint, src.accessToken);
  }
  const receivers: RelayReceiver[] = [];
  const skipped: string[] = [];
  for (const n of nodes) {
    const uuid = parseUuid(n.uuid);
    const codeHostKind = n.codeHostKind;
    if (!uuid || !isCodeHostKind(codeHostKind)) {
      skipped.push(`${n.uuid} (${n.codeHostKind})`);
      continue;
    }
    receivers.push({
      uuid,
      codeHostKind,
      secrets: n.secret ? [n.secret] : [],
    });
  }
  return { receivers, skipped };
}

/**
 * The client's messages tell a Pulumi program's author what to set (`sourcegraph.endpoint`,
 * `SRC_ENDPOINT`), which the relay does not read: say it with the relay's own settings.
 */
function inRelayTerms(err: unknown, endpoint: string, accessToken: string): unknown {
  if (!(err instanceof SourcegraphError)) return err;
  const at = `Sourcegraph at ${endpoint} (--sourcegraph-url)`;
  const token =
    "set SRC_ACCESS_TOKEN to the access token of a site admin (only site admins can read the receivers' secrets)";
  switch (err.reason) {
    case "unauthorized":
      return new Error(
        `${at} answered 401: the access token in SRC_ACCESS_TOKEN is invalid or expired; ${token}`,
        {
          cause: err,
        },
      );
    case "notAdmin":
      return new Error(`${at} answered "must be site admin" to the token in SRC_ACCESS_TOKEN; ${token}`, {
        cause: err,
      });
    case "unreachable": {
      const why = err.cause instanceof Error ? redact(err.cause.message, [accessToken]) : "no answer";
      // The cause says what failed and to check the URL; the flag is named in the lead.
      return new Error(`cannot reach ${at}: ${why}`, { cause: err });
    }
    default:
      return new Error(`reading the receivers from --sourcegraph-url failed: ${err.message}`, { cause: err });
  }
}

/**
 * Merges a fresh list into the current one. When Sourcegraph's secret of a receiver changed, the
 * previous secret stays valid for `graceMs`, so deliveries the code host signed with it before it
 * was updated too still pass (Sourcegraph alone would refuse them).
 */
export class RotationMemory {
  private readonly previous = new Map<string, { secret: string; until: number }>();
  private readonly current = new Map<string, string>();

  constructor(private readonly graceMs: number) {}

  apply(fresh: readonly RelayReceiver[], now: number): RelayReceiver[] {
    return fresh.map((r) => {
      const secret = r.secrets[0];
      const before = this.current.get(r.uuid);
      if (secret !== undefined && before !== undefined && before !== secret && this.graceMs > 0) {
        this.previous.set(r.uuid, { secret: before, until: now + this.graceMs });
      }
      if (secret !== undefined) this.current.set(r.uuid, secret);
      const prev = this.previous.get(r.uuid);
      if (prev && (prev.until <= now || prev.secret === secret)) this.previous.delete(r.uuid);
      const keep = this.previous.get(r.uuid);
      return keep && secret !== undefined ? { ...r, secrets: [secret, keep.secret] } : r;
    });
  }
}
