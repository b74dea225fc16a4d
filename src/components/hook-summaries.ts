// The component's `hooks` output: one entry per hook, enough for a tool that reads the stack's
// outputs (`sg-webhooks doctor --outputs`) to find each hook on its code host and check it against
// its receiver. Built from plain declaration values and from outputs that are never secret
// (resource IDs, the receiver's UUID, delivery URL and the plugin hook's name), so the whole output
// stays readable without --show-secrets and holds no token or shared secret.
import * as pulumi from "@pulumi/pulumi";
import type { Connection } from "./connections";
import { describeHooks, type HookSummary } from "./hook-descriptions";

export {
  describeHooks,
  githubApiUrl,
  type HookDescription,
  type HookKind,
  type HookSummary,
  hookApiUrl,
} from "./hook-descriptions";

/**
 * The entries of a connection's hooks. `ids` holds each hook's ID output by the end of its resource
 * name (`HookDescription.name`); a hook without one is a bug in the component, so it throws.
 */
export function summarizeHooks(
  connection: Connection,
  ids: Readonly<Record<string, pulumi.Output<string>>>,
  receiverUuid: pulumi.Output<string>,
  deliveryUrl: pulumi.Output<string>,
): pulumi.Output<HookSummary>[] {
  return describeHooks(connection).map(({ name, ...entry }) => {
    const id = ids[name];
    if (!id) throw new Error(`no resource for hook ${name} of ${connection.connection}`);
    return pulumi.all([id, receiverUuid, deliveryUrl]).apply(([hookId, uuid, url]) => ({
      connection: entry.connection,
      codeHost: entry.codeHost,
      kind: entry.kind,
      target: entry.target,
      id: hookId,
      receiverUuid: uuid,
      deliveryUrl: url,
      apiUrl: entry.apiUrl,
      events: entry.events,
      ...(entry.enableSslVerification === undefined
        ? {}
        : { enableSslVerification: entry.enableSslVerification }),
    }));
  });
}
