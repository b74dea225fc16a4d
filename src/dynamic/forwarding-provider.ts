import type * as pulumi from "@pulumi/pulumi";
import type { DynamicProvider } from "../../providers/shared";

/**
 * The provider object handed to `dynamic.Resource`. Pulumi serializes it into the state and runs
 * that old copy on delete (pulumi/pulumi#6238), so it captures nothing but a module name and
 * forwards each call to the installed implementation, which the dynamic-provider host resolves
 * from the Pulumi program's directory. No client, agent or credential ends up in `__provider`.
 * The module paths and export names it calls are in users' state, so they never change
 * (test/host/release-state.test.ts runs the stubs that release 0.1.0 wrote).
 */
export function forwardingProvider(name: string, exportName = "provider"): pulumi.dynamic.ResourceProvider {
  // `require` stays a free variable: the closure serializer never captures it.
  const load = (): DynamicProvider => require(`pulumi-sourcegraph-webhooks/providers/${name}`)[exportName];
  return {
    check: (olds, news) => load().check(olds, news),
    diff: (id, olds, news) => load().diff(id, olds, news),
    create: (inputs) => load().create(inputs),
    read: (id, props) => load().read(id, props),
    update: (id, olds, news) => load().update(id, olds, news),
    delete: (id, props) => load().delete(id, props),
  };
}
