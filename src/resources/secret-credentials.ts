import * as pulumi from "@pulumi/pulumi";

/**
 * A connection input with its credential fields made secret, field by field. A secret (or any
 * Output) wrapping the whole object is unknown during preview as soon as one field is (a token
 * made by a resource in the same update), and hiding the instance URL with it makes the provider's
 * diff plan a replacement. A connection given as one Output cannot be split: it is secret whole.
 */
export function secretCredentials<T extends object>(
  connection: pulumi.Input<T> | undefined,
  credentials: ReadonlyArray<keyof T & string>,
): pulumi.Input<unknown> | undefined {
  if (connection === undefined) return undefined;
  if (pulumi.Output.isInstance(connection) || connection instanceof Promise) return pulumi.secret(connection);
  const out: Record<string, unknown> = { ...(connection as Record<string, unknown>) };
  for (const key of credentials) {
    if (out[key] !== undefined) out[key] = pulumi.secret(out[key]);
  }
  return out;
}
