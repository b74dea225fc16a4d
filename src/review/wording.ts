// The words the diff shares between its changes: code host names, hook labels, counts.
import type { CodeHost } from "../../providers/events";
import type { HookView } from "./declaration-view";

export const HOST_NAMES: { readonly [H in CodeHost]: string } = {
  github: "GitHub",
  gitlab: "GitLab",
  bitbucketServer: "Bitbucket Server",
  bitbucketCloud: "Bitbucket Cloud",
};

/** `project hook on platform/web`, `organization hook on acme`, `plugin webhook for scope global`. */
export function hookLabel(hook: Pick<HookView, "kind" | "target">): string {
  return hook.kind === "plugin"
    ? `plugin webhook for scope ${hook.target}`
    : `${hook.kind} hook on ${hook.target}`;
}

/** `1 hook`, `3 hooks`. */
export function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? "" : "s"}`;
}

/** The hooks of a connection as a phrase: `its 3 hooks`, `its hook`, `no hook`. */
export function itsHooks(n: number): string {
  return n === 0 ? "no hook" : n === 1 ? "its hook" : `its ${n} hooks`;
}

/** A list of events for a sentence, in a stable order. */
export function eventList(events: Iterable<string>): string {
  return [...events].sort().join(", ");
}
