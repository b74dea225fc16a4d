// Checks that no token, password or secret reaches a place a user or a log can see: the serialized
// provider, outputs Pulumi stores in plain text, error messages and the host's log.
import { expect } from "vitest";
import type { HostError, Props } from "./provider-host";

/** Fails when any of the known credentials or secrets appears in `text`. */
export function expectNoLeaks(text: string, known: readonly string[]): void {
  for (const k of known) expect(text).not.toContain(k);
}

/**
 * Fails when a known credential or secret appears in an output that Pulumi stores in plain text,
 * that is every output but those the resource lists in `additionalSecretOutputs`.
 */
export function expectCleanOutputs(
  outs: Props,
  known: readonly string[],
  secretOutputs: ReadonlySet<string>,
): void {
  for (const [k, v] of Object.entries(outs)) {
    if (!secretOutputs.has(k)) expectNoLeaks(JSON.stringify(v), known);
  }
}

/**
 * Awaits a host call that must fail, checks that neither the provider's message (`details`) nor
 * the gRPC error's message leaks a known credential or secret, and returns `details`.
 */
export async function hostFailure(call: Promise<unknown>, known: readonly string[]): Promise<string> {
  try {
    await call;
  } catch (err) {
    const details = (err as HostError).details;
    expectNoLeaks(details, known);
    expectNoLeaks((err as Error).message, known);
    return details;
  }
  throw new Error("expected the host to fail");
}
