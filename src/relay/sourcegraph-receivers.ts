// Receivers read from Sourcegraph's GraphQL API (`webhooks(first, after)`), for a relay that
// should follow the receivers Sourcegraph has without a file to keep in sync.
import { listReceivers } from "../../providers/sourcegraph";
import { CODE_HOST_KINDS, type CodeHostKind, parseUuid } from "../ingest";
import type { Receiver } from "./receivers";

export interface SourcegraphSource {
  readonly endpoint: string;
  readonly accessToken: string;
}

/** Every receiver of a kind the relay handles; the others (AZUREDEVOPS) are reported in `skipped`. */
export async function fetchReceivers(
  src: SourcegraphSource,
): Promise<{ receivers: Receiver[]; skipped: string[] }> {
  const nodes = await listReceivers({
    endpoint: src.endpoint.replace(/\/+$/, ""),
    accessToken: src.accessToken,
  });
  const receivers: Receiver[] = [];
  const skipped: string[] = [];
  for (const n of nodes) {
    const uuid = parseUuid(n.uuid);
    if (!uuid || !(CODE_HOST_KINDS as readonly string[]).includes(n.codeHostKind)) {
      skipped.push(`${n.uuid} (${n.codeHostKind})`);
      continue;
    }
    receivers.push({
      uuid,
      codeHostKind: n.codeHostKind as CodeHostKind,
      secrets: n.secret ? [n.secret] : [],
    });
  }
  return { receivers, skipped };
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

  apply(fresh: readonly Receiver[], now: number): Receiver[] {
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
