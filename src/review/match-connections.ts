// Which connection of the base is which of the head. The same key (`gitlab/gitlab.example.com`) is
// the same connection, wherever it sits in its list: reordering is no change. A connection whose
// key changed but whose code host URL, or else whose set of hooks, is the same is the same
// connection renamed, which replaces its resources: a reviewer must see it as one rename, not as an
// unrelated removal and addition.
import type { CodeHost } from "../../providers/events";
import type { ConnectionView } from "./declaration-view";

export interface ConnectionPair {
  readonly base?: ConnectionView;
  readonly head?: ConnectionView;
  /** Both sides are there under different keys. */
  readonly renamed: boolean;
}

const HOSTS: readonly CodeHost[] = ["github", "gitlab", "bitbucketServer", "bitbucketCloud"];

const hookSet = (c: ConnectionView): string =>
  c.hooks
    .map((h) => h.name)
    .sort()
    .join("\n");

/**
 * Pairs the connections of two declarations, code host by code host: the head's in its order (each
 * with its base, if any), then the base's that are gone.
 */
export function matchConnections(
  base: readonly ConnectionView[],
  head: readonly ConnectionView[],
): ConnectionPair[] {
  const pairs: ConnectionPair[] = [];
  for (const host of HOSTS) {
    const left = base.filter((c) => c.host === host);
    const right = head.filter((c) => c.host === host);
    const partner = new Map<ConnectionView, ConnectionView>();
    const take = (same: (b: ConnectionView, h: ConnectionView) => boolean) => {
      for (const h of right) {
        if (partner.has(h)) continue;
        const taken = new Set(partner.values());
        const b = left.find((candidate) => !taken.has(candidate) && same(candidate, h));
        if (b) partner.set(h, b);
      }
    };
    take((b, h) => b.key === h.key);
    take((b, h) => b.url === h.url);
    take((b, h) => b.hooks.length > 0 && hookSet(b) === hookSet(h));
    for (const h of right) {
      const b = partner.get(h);
      pairs.push(b ? { base: b, head: h, renamed: b.key !== h.key } : { head: h, renamed: false });
    }
    const paired = new Set(partner.values());
    for (const b of left) if (!paired.has(b)) pairs.push({ base: b, renamed: false });
  }
  return pairs;
}
