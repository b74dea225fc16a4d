// A recording mock engine for resource and component tests under pulumi.runtime.setMocks: every
// registered resource is kept with its inputs (secret envelopes preserved, so tests can tell which
// values arrive as secrets) and with the additionalSecretOutputs the SDK sent, which the mocks'
// own arguments leave out.
import * as pulumi from "@pulumi/pulumi";

/** The key of the envelope in which the engine carries a secret value. */
export const SECRET_SIG = "4dabf18193072939515e22adb298388d";

export interface Registered {
  type: string;
  name: string;
  inputs: any;
  provider?: string;
  custom?: boolean;
  /** The resource's additionalSecretOutputs. */
  secretOutputs: string[];
  /** What the mock's check reported, when it runs one. */
  failures: Array<{ property: string; reason: string }>;
}

/** What a mock returns for a registration; `failures` is recorded, not thrown. */
export interface MockResult {
  id: string | undefined;
  state: Record<string, any>;
  failures?: Array<{ property: string; reason: string }>;
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

/**
 * Installs mocks whose `newResource` is `mock` and returns the list every registration is recorded
 * in, in order. A mock that throws fails the registration, as a failed check fails it in the engine.
 */
export async function mockResources(
  mock: (r: Registered) => MockResult,
  project = "sgw",
  stack = "test",
): Promise<Registered[]> {
  const registered: Registered[] = [];
  const secretOutputs = new Map<string, string[]>();
  await pulumi.runtime.setMocks(
    {
      newResource(args) {
        const r: Registered = {
          type: args.type,
          name: args.name,
          inputs: args.inputs,
          provider: args.provider,
          custom: args.custom,
          secretOutputs: secretOutputs.get(`${args.type}::${args.name}`) ?? [],
          failures: [],
        };
        registered.push(r);
        const { id, state, failures } = mock(r);
        r.failures = failures ?? [];
        return { id, state };
      },
      call: (args) => args.inputs,
    },
    project,
    stack,
    false,
  );
  // The mock monitor receives the request the SDK sends the real engine; keep its options.
  const monitor = pulumi.runtime.getMonitor() as any;
  const register = monitor.registerResource.bind(monitor);
  monitor.registerResource = (req: any, callback: any) => {
    secretOutputs.set(`${req.getType()}::${req.getName()}`, req.getAdditionalsecretoutputsList());
    return register(req, callback);
  };
  return registered;
}

/** Mocks that echo inputs as state, and give receivers the state of receiverState. */
export function installMocks(project = "sgw", stack = "test"): Promise<Registered[]> {
  return mockResources(
    (r) => ({
      id: r.custom ? `${r.name}-id` : undefined,
      state:
        r.type === "pulumi-nodejs:dynamic/sourcegraph:Receiver" ? receiverState(r.name, r.inputs) : r.inputs,
    }),
    project,
    stack,
  );
}

/** Waits until the registrations of a program or component have reached the mocks. */
export async function settle(resource: pulumi.Resource): Promise<void> {
  await resolved(resource.urn);
  await new Promise((r) => setTimeout(r, 50));
}
