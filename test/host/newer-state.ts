// Shared by the host tests: state written by a newer version of the package is refused on every
// call that reads it, with the message that names the fix, and the remote object is left alone.
import { expect } from "vitest";
import { hostFailure } from "../harness/leaks";
import type { Props, ProviderHost } from "../harness/provider-host";

export interface Created {
  readonly urn: string;
  readonly id: string;
  readonly outs: Props;
  /** The checked inputs of the create, for diff and update. */
  readonly inputs: Props;
}

/** `what` is how the message names the resource, such as "GitLab project hook 3". */
export async function expectNewerStateRefused(
  host: ProviderHost,
  created: Created,
  what: string,
  known: readonly string[],
): Promise<void> {
  const { urn, id, inputs } = created;
  const newer = { ...created.outs, schemaVersion: 2 };
  const message = `The state of ${what} was written by a newer pulumi-sourcegraph-webhooks (schemaVersion 2; this one reads up to 1): upgrade the pulumi-sourcegraph-webhooks package of the Pulumi program to the version that wrote it or a later one, then run again`;
  // preview, refresh, up and destroy
  expect(await hostFailure(host.diff(id, urn, newer, inputs), known)).toBe(message);
  expect(await hostFailure(host.read(id, urn, newer), known)).toBe(message);
  expect(await hostFailure(host.update(id, urn, newer, inputs), known)).toBe(message);
  expect(await hostFailure(host.delete(id, urn, newer), known)).toBe(message);
}
