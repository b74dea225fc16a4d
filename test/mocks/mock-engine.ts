// A recording mock engine for component tests: every registered resource is kept with its inputs
// (secret envelopes preserved, so tests can tell which values arrive as secrets).
import * as pulumi from "@pulumi/pulumi";

export const SECRET_SIG = "4dabf18193072939515e22adb298388d";

export interface Registered {
  type: string;
  name: string;
  inputs: any;
  provider?: string;
  custom?: boolean;
}

/** True when a mock input value is wrapped in Pulumi's secret envelope. */
export function isSecretValue(v: unknown): boolean {
  return typeof v === "object" && v !== null && SECRET_SIG in v;
}

/** Removes secret envelopes at any depth. */
export function unsecret(v: any): any {
  if (Array.isArray(v)) return v.map(unsecret);
  if (v && typeof v === "object") {
    if (SECRET_SIG in v) return unsecret(v.value);
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, unsecret(x)]));
  }
  return v;
}

/** The value of an output (undefined outputs resolve to undefined). */
export function resolved<T>(o: pulumi.Output<T>): Promise<T> {
  return new Promise((resolve) => o.apply((v) => resolve(v)));
}

/** A value wrapped as the engine wraps secrets. */
export function secretValue(value: unknown): Record<string, unknown> {
  return { [SECRET_SIG]: "1b47061264138c4ac30d75fd1eb44270", value };
}

/** State the mocks give a receiver: a UUID and URL derived from its name, and its secret (or one made up). */
export function receiverState(name: string, inputs: any): Record<string, unknown> {
  const uuid = `uuid-${name}`;
  return {
    ...inputs,
    uuid,
    url: `https://sourcegraph.test/.api/webhooks/${uuid}`,
    secret:
      unsecret(inputs.secret) === false ? undefined : (inputs.secret ?? secretValue(`generated-${name}`)),
    webhookId: `V2ViaG9vazox-${name}`,
  };
}

export async function installMocks(project = "sgw", stack = "test"): Promise<Registered[]> {
  const registered: Registered[] = [];
  await pulumi.runtime.setMocks(
    {
      newResource(args) {
        registered.push({
          type: args.type,
          name: args.name,
          inputs: args.inputs,
          provider: args.provider,
          custom: args.custom,
        });
        const state =
          args.type === "pulumi-nodejs:dynamic/sourcegraph:Receiver"
            ? receiverState(args.name, args.inputs)
            : args.inputs;
        return { id: args.custom ? `${args.name}-id` : undefined, state };
      },
      call: (args) => args.inputs,
    },
    project,
    stack,
    false,
  );
  return registered;
}

/** Waits until the registrations of a program or component have reached the mocks. */
export async function settle(resource: pulumi.Resource): Promise<void> {
  await resolved(resource.urn);
  await new Promise((r) => setTimeout(r, 50));
}
