// A small deployment engine for tests: runs a Pulumi program under `setMocks`, and executes each
// dynamic resource it registers through the REAL dynamic-provider host (ProviderHost), as the
// engine would during `pulumi up`: check, then create; or, when an earlier run stored the resource,
// check and diff against what it stored, then update or replace. The program receives the
// provider's real outputs, so hooks get the receiver's real URL and secret. Other resources
// (components, @pulumi/github) are echoed as their inputs, as plain mocks do.
//
//   const host = await startHost();
//   const engine = new Deployment(host);
//   await engine.up(() => new SourcegraphWebhooks("sg", args));
//   await engine.destroy();
import * as pulumi from "@pulumi/pulumi";
import { unsecret } from "./mock-engine";
import type { Props, ProviderHost } from "./provider-host";

const DYNAMIC = "pulumi-nodejs:dynamic/";

/** A resource as the state stores it. */
export interface StoredResource {
  readonly urn: string;
  readonly type: string;
  readonly name: string;
  readonly id: string;
  /** The checked inputs (with `__provider`), what the next check receives as olds. */
  readonly inputs: Props;
  /** The provider's outputs, what diff, update and delete receive. */
  readonly outputs: Props;
}

export type Operation = "create" | "update" | "replace" | "same" | "delete";

export interface Step {
  readonly op: Operation;
  readonly urn: string;
}

/** Drops undefined fields, which a protobuf Struct cannot carry. */
function defined(v: unknown): unknown {
  return JSON.parse(JSON.stringify(v ?? {}));
}

export class Deployment {
  /** The state, in creation order. */
  readonly state: StoredResource[] = [];
  /** Every step taken, across runs. */
  readonly steps: Step[] = [];

  /**
   * `others`, when given, answers the registrations that are not dynamic resources (the resource
   * is echoed as its inputs when it returns undefined): a test can create @pulumi/github's hooks on
   * GitHub's stand-in, since the GitHub provider plugin cannot run here.
   */
  constructor(
    private readonly host: ProviderHost,
    private readonly project = "sgw",
    private readonly stack = "test",
    private readonly others?: (
      args: pulumi.runtime.MockResourceArgs,
    ) => Promise<{ id: string; state: Record<string, unknown> } | undefined>,
  ) {}

  private urn(type: string, name: string): string {
    return `urn:pulumi:${this.stack}::${this.project}::${type}::${name}`;
  }

  /**
   * Runs the program, waits until every registration is done, then deletes what the program no
   * longer declares (newest first). Returns the steps of this run. Throws the first provider error.
   */
  async up(program: () => unknown): Promise<Step[]> {
    const first = this.steps.length;
    const seen = new Set<string>();
    const pending = new Set<Promise<unknown>>();
    const errors: unknown[] = [];

    await pulumi.runtime.setMocks(
      {
        newResource: (args) => {
          const p = (async () => {
            if (!args.type.startsWith(DYNAMIC)) {
              const answered = await this.others?.(args);
              return answered ?? { id: args.custom ? `${args.name}-id` : undefined, state: args.inputs };
            }
            const urn = this.urn(args.type, args.name);
            seen.add(urn);
            // Secrets reach providers unwrapped: the dynamic-provider host does not accept secrets.
            const stored = await this.apply(
              args.type,
              args.name,
              urn,
              defined(unsecret(args.inputs)) as Props,
            );
            return { id: stored.id, state: stored.outputs };
          })();
          const tracked = p.catch((err: unknown) => {
            errors.push(err);
            throw err;
          });
          pending.add(tracked);
          tracked.then(
            () => pending.delete(tracked),
            () => pending.delete(tracked),
          );
          return p;
        },
        call: (args) => args.inputs,
      },
      this.project,
      this.stack,
      false,
    );
    program();
    await this.quiesce(pending);
    if (errors.length > 0) throw errors[0];

    for (const r of [...this.state].reverse()) {
      if (!seen.has(r.urn)) await this.remove(r);
    }
    return this.steps.slice(first);
  }

  /** Deletes everything, newest first, as `pulumi destroy` does. */
  async destroy(): Promise<Step[]> {
    const first = this.steps.length;
    for (const r of [...this.state].reverse()) await this.remove(r);
    return this.steps.slice(first);
  }

  /** Registrations arrive as earlier ones resolve: wait until none is in flight for a while. */
  private async quiesce(pending: Set<Promise<unknown>>): Promise<void> {
    let idle = 0;
    while (idle < 5) {
      if (pending.size > 0) {
        idle = 0;
        await Promise.allSettled([...pending]);
      } else {
        idle++;
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  private async apply(type: string, name: string, urn: string, news: Props): Promise<StoredResource> {
    const index = this.state.findIndex((r) => r.urn === urn);
    const prior = index >= 0 ? this.state[index] : undefined;
    const checked = await this.host.check(urn, prior?.inputs ?? {}, news);
    if (checked.failures.length > 0) {
      throw new Error(
        `check of ${urn} failed: ${checked.failures.map((f) => `${f.property}: ${f.reason}`).join("; ")}`,
      );
    }
    if (!prior) {
      const { id, outs } = await this.host.create(urn, checked.inputs);
      const stored = { urn, type, name, id, inputs: checked.inputs, outputs: outs };
      this.state.push(stored);
      this.steps.push({ op: "create", urn });
      return stored;
    }
    const diff = await this.host.diff(prior.id, urn, prior.outputs, checked.inputs);
    if (!diff.changes) {
      this.steps.push({ op: "same", urn });
      return prior;
    }
    if (diff.replaces.length > 0) {
      // Create-before-delete, the engine's default, unless the provider asks otherwise.
      if (diff.deleteBeforeReplace) await this.host.delete(prior.id, urn, prior.outputs);
      const { id, outs } = await this.host.create(urn, checked.inputs);
      if (!diff.deleteBeforeReplace) await this.host.delete(prior.id, urn, prior.outputs);
      const stored = { urn, type, name, id, inputs: checked.inputs, outputs: outs };
      this.state[index] = stored;
      this.steps.push({ op: "replace", urn });
      return stored;
    }
    const outs = await this.host.update(prior.id, urn, prior.outputs, checked.inputs);
    const stored = { ...prior, inputs: checked.inputs, outputs: outs };
    this.state[index] = stored;
    this.steps.push({ op: "update", urn });
    return stored;
  }

  private async remove(r: StoredResource): Promise<void> {
    await this.host.delete(r.id, r.urn, r.outputs);
    this.state.splice(this.state.indexOf(r), 1);
    this.steps.push({ op: "delete", urn: r.urn });
  }
}
