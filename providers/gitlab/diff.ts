import type * as pulumi from "@pulumi/pulumi";
import { sameEvents } from "../events";
import { containsUnknown, normalizedOrAsIs, type Props, UNKNOWN } from "../shared";
import { upgradeOutputs } from "./state";
import { DEFAULT_GITLAB_URL, type HookScope, ownerIdKey } from "./types";

/** Whether the declared owner (`"123"` or a path) names the same project or group as the state. */
function sameOwner(declared: unknown, stored: string | undefined, storedId: number | undefined): boolean {
  if (declared === stored) return true;
  // A path swapped for the project's numeric ID is the same project: no replacement.
  return typeof declared === "string" && storedId !== undefined && declared === String(storedId);
}

/** The instance the program names; only its URL counts (an unknown token is not another instance). */
function declaredInstance(news: Props): unknown {
  const g = news.gitlab;
  if (g === UNKNOWN) return UNKNOWN;
  const url = (g as Props | undefined)?.url ?? DEFAULT_GITLAB_URL;
  return url === UNKNOWN ? UNKNOWN : normalizedOrAsIs(String(url));
}

/**
 * Local and pure (preview runs it): the instance and the project or group are replacements;
 * the receiver URL, events (as sets), SSL flag, secret and token change in place. Values not known
 * yet count as changes.
 */
export function diff(id: string, stored: Props, news: Props, scope: HookScope): pulumi.dynamic.DiffResult {
  const olds = upgradeOutputs(stored, id);
  const replaces: string[] = [];
  const changed: string[] = [];

  const instance = declaredInstance(news);
  if (containsUnknown(instance) || instance !== olds.gitlabUrl) replaces.push("gitlab");
  const owner = news[scope];
  if (containsUnknown(owner) || !sameOwner(owner, olds[scope], olds[ownerIdKey(scope)])) replaces.push(scope);

  if (containsUnknown(news.url) || news.url !== olds.url) changed.push("url");
  const events = news.events;
  if (containsUnknown(events) || !Array.isArray(events) || !sameEvents(events as string[], olds.events)) {
    changed.push("events");
  }
  const ssl = news.enableSslVerification ?? true;
  if (containsUnknown(ssl) || ssl !== olds.enableSslVerification) changed.push("enableSslVerification");
  if (containsUnknown(news.secret) || (news.secret ?? undefined) !== (olds.secret ?? undefined))
    changed.push("secret");
  const token = (news.gitlab as Props | undefined)?.token;
  if (
    !replaces.includes("gitlab") &&
    (containsUnknown(token) || (token ?? undefined) !== (olds.gitlabToken ?? undefined))
  ) {
    changed.push("gitlab");
  }

  return {
    changes: replaces.length > 0 || changed.length > 0,
    replaces,
    // The new hook could be the old one (a project renamed, then adopted by URL), which a delete
    // after the create would remove: delete first.
    deleteBeforeReplace: replaces.length > 0,
  };
}
