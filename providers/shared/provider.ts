import type * as pulumi from "@pulumi/pulumi";

/** Properties as the engine passes them: inputs, checked inputs and stored outputs alike. */
export type Props = Record<string, unknown>;

/**
 * What every provider module exports under the names that serialized stubs call
 * (`provider`, `projectHookProvider`, `groupHookProvider`): the six calls a stub forwards. Stricter
 * than `pulumi.dynamic.ResourceProvider`, which it satisfies: create and update always return outputs.
 */
export interface DynamicProvider {
  check(olds: Props, news: Props): Promise<CheckResult>;
  diff(id: string, olds: Props, news: Props): Promise<pulumi.dynamic.DiffResult>;
  create(inputs: Props): Promise<{ id: string; outs: Props }>;
  /** An empty result: the object is gone, and refresh drops it from the state. */
  read(id: string, props?: Props): Promise<{ id?: string; props?: Props }>;
  update(id: string, olds: Props, news: Props): Promise<{ outs: Props }>;
  delete(id: string, props: Props): Promise<void>;
}

/**
 * A provider's own parts: check and diff are local and pure (preview runs them: no network), the
 * other four reach the API.
 */
export interface ProviderParts extends Pick<DynamicProvider, "create" | "read" | "update" | "delete"> {
  check(news: Props): CheckResult;
  diff(id: string, olds: Props, news: Props): pulumi.dynamic.DiffResult;
}

/** The one shape of every provider: its parts behind the calls the engine makes. */
export function dynamicProvider(parts: ProviderParts): DynamicProvider {
  return {
    ...parts,
    check: async (_olds, news) => parts.check(news),
    diff: async (id, olds, news) => parts.diff(id, olds, news),
  };
}

export type CheckFailure = pulumi.dynamic.CheckFailure;

/** A provider's `check`: the checked inputs, and every problem found (not only the first). */
export interface CheckResult<T = Props> {
  readonly inputs: T;
  readonly failures: CheckFailure[];
}

/** A failure list and the function that adds to it, for the body of a `check`. */
export function failureList(): {
  failures: CheckFailure[];
  fail: (property: string, reason: string) => void;
} {
  const failures: CheckFailure[] = [];
  return { failures, fail: (property, reason) => failures.push({ property, reason }) };
}
