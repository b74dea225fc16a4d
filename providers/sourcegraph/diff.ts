// Local and pure: no network, since preview runs it. `olds` are the stored outputs, `news`
// the checked inputs. Everything changes in place (the receiver keeps its UUID and URL, so the
// code host hooks need no change) except the Sourcegraph instance, which is a replacement.
import type * as pulumi from "@pulumi/pulumi";
import { containsUnknown, env, normalizedOrAsIs, type Props, UNKNOWN } from "../shared";
import { upgradeOutputs } from "./state";
import { normalizeUrn } from "./urn";

const endpointOf = (value: unknown): string | undefined =>
  typeof value === "string" ? normalizedOrAsIs(value) : undefined;

export function diff(id: string, olds: Props, news: Props): pulumi.dynamic.DiffResult {
  const o = upgradeOutputs(olds, id);
  const changed = new Set<string>();
  const replaces: string[] = [];

  const sg = news.sourcegraph as Props | typeof UNKNOWN | undefined;
  const givenEndpoint = sg === UNKNOWN ? UNKNOWN : sg?.endpoint;
  if (givenEndpoint === UNKNOWN) {
    replaces.push("sourcegraph");
  } else {
    // The instance the program now names: the input, else SRC_ENDPOINT (as create would use).
    const declared = endpointOf(givenEndpoint ?? env("SRC_ENDPOINT"));
    if (declared !== undefined && declared !== o.endpoint) replaces.push("sourcegraph");
  }
  const token = sg === UNKNOWN ? UNKNOWN : sg?.accessToken;
  if (token === UNKNOWN || (token ?? undefined) !== o.sourcegraph?.accessToken) changed.add("sourcegraph");
  // The endpoint given as input is stored too; its spelling alone is no change.
  if (givenEndpoint !== UNKNOWN && endpointOf(givenEndpoint) !== endpointOf(o.sourcegraph?.endpoint))
    changed.add("sourcegraph");

  if (news.codeHostKind !== o.codeHostKind) changed.add("codeHostKind");
  const urn = news.codeHostUrn;
  if (urn === UNKNOWN || typeof urn !== "string" || normalizeUrn(urn) !== o.codeHostUrn)
    changed.add("codeHostUrn");
  if (news.webhookName !== o.webhookName) changed.add("webhookName");

  const secret = news.secret;
  if (containsUnknown(secret)) changed.add("secret");
  else if (typeof secret === "string" && secret !== o.secret) changed.add("secret");
  // false asks for none (update explains that Sourcegraph cannot clear one); omitted asks for one.
  else if (secret === false && o.secret !== undefined) changed.add("secret");
  else if ((secret === undefined || secret === null) && o.secret === undefined) changed.add("secret");

  for (const r of replaces) changed.add(r);
  return {
    changes: changed.size > 0,
    replaces,
    // The "other" instance may be this one under another URL: create would then adopt the very
    // receiver that the delete of the old one removes. Deleting first cannot lose it that way.
    deleteBeforeReplace: replaces.length > 0,
  };
}
