// Finding the hook a checker is about, shared by every host: when it cannot be read or is not
// there, the checks that depend on it are listed as not checked, saying why.
import type { Subject } from "../codes";
import { hostFailure } from "../failures";
import type { SecretBag } from "../secrets";
import type { Check, CheckName, CodeHost } from "../types";
import { notChecked } from "./context";

/** A lookup's answer: the hook, and the `hook` check when it is missing or delivers elsewhere. */
export interface FoundHook<H> {
  readonly hook?: H;
  readonly check?: Check;
}

/** The hook found, or the checks to report when there is none (`stop`). */
export type HookLookup<H> = { readonly hook: H; readonly check?: Check } | { readonly stop: Check[] };

export async function lookUpHook<H>(
  ctx: { readonly at: Subject; readonly secrets: SecretBag },
  host: CodeHost,
  after: readonly CheckName[],
  find: () => Promise<FoundHook<H>>,
  unread = "the hook could not be read",
): Promise<HookLookup<H>> {
  const { at } = ctx;
  let found: FoundHook<H>;
  try {
    found = await find();
  } catch (err) {
    return { stop: [hostFailure(at, "hook", host, err, ctx.secrets), ...notChecked(at, after, unread)] };
  }
  if (!found.hook) {
    const why = found.check
      ? "the hook is missing"
      : "its receiver is missing, so the URL it should deliver to is unknown";
    return { stop: [found.check ?? notChecked(at, ["hook"], why)[0]!, ...notChecked(at, after, why)] };
  }
  return { hook: found.hook, check: found.check };
}
