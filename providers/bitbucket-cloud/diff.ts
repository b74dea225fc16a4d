// The pure diff (preview runs it): no network, unknown values count as changes, events
// are sets, and the instance, workspace and repository are replacements.
import type * as pulumi from "@pulumi/pulumi";
import { sameEvents } from "../events";
import { containsUnknown, type Props } from "../shared";
import { upgradeOutputs } from "./state";
import type { Connection, Inputs, Outputs } from "./types";

/** Properties whose change makes a new hook: a hook cannot move between instances or scopes. */
export const REPLACE_KEYS = ["apiUrl", "workspace", "repository"] as const;

function sameCredentials(a: Connection | undefined, b: Connection | undefined): boolean {
  return (
    (a?.token ?? "") === (b?.token ?? "") &&
    (a?.email ?? "") === (b?.email ?? "") &&
    (a?.apiToken ?? "") === (b?.apiToken ?? "")
  );
}

/** Which hook settings differ between the state and the declaration (what a PUT must fix). */
export function hookChanges(olds: Outputs, news: Inputs): string[] {
  const changed: string[] = [];
  if (containsUnknown(news.url) || olds.url !== news.url) changed.push("url");
  if (containsUnknown(news.description) || olds.description !== news.description) changed.push("description");
  if (containsUnknown(news.events) || !sameEvents(olds.events, news.events)) changed.push("events");
  if (olds.active === false) changed.push("active");
  // A secret Bitbucket lost (read drops it from the state), a new one, or one set outside Pulumi.
  if (
    containsUnknown(news.secret) ||
    olds.secret !== news.secret ||
    (news.secret === undefined && olds.secretSet)
  ) {
    changed.push("secret");
  }
  return changed;
}

export function diff(id: string, stored: Props, checked: Props): pulumi.dynamic.DiffResult {
  const olds = upgradeOutputs(stored, id);
  const news = checked as Inputs;
  const replaces: string[] = REPLACE_KEYS.filter(
    (k) => containsUnknown(news[k]) || (olds[k] ?? "") !== (news[k] ?? ""),
  );
  const changed = hookChanges(olds, news);
  const credentials =
    containsUnknown(news.bitbucketCloud) || !sameCredentials(olds.bitbucketCloud, news.bitbucketCloud);
  return {
    changes: replaces.length > 0 || changed.length > 0 || credentials,
    replaces,
    deleteBeforeReplace: false,
  };
}
