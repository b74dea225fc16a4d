// Drives the real dynamic-provider host that ships in @pulumi/pulumi over gRPC, as the engine does
// during `pulumi preview/up/refresh/destroy`: it spawns @pulumi/pulumi's cmd/dynamic-provider, reads
// the port it prints, and calls the ResourceProvider service of proto/provider_grpc_pb with
// google.protobuf.Struct properties (the engine's own wire format).
import { type ChildProcess, spawn } from "node:child_process";
import { createRequire } from "node:module";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";

const pulumiRequire = createRequire(require.resolve("@pulumi/pulumi/package.json"));
const grpc = pulumiRequire("@grpc/grpc-js");
const provrpc = pulumiRequire("./proto/provider_grpc_pb");
const provproto = pulumiRequire("./proto/provider_pb");
const structproto = pulumiRequire("google-protobuf/google/protobuf/struct_pb");

/** What the engine sends for an input that is not known yet (during preview). */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

export const REPO_ROOT = path.resolve(__dirname, "../..");

export type Props = Record<string, unknown>;

export interface CheckResult {
  inputs: Props;
  failures: Array<{ property: string; reason: string }>;
}

export interface DiffResult {
  changes: boolean;
  replaces: string[];
  deleteBeforeReplace: boolean;
}

/** A gRPC error from the host: `details` carries the provider's error message. */
export interface HostError extends Error {
  code: number;
  details: string;
}

/**
 * Serializes a provider exactly as `pulumi.dynamic.Resource` does, returning the `__provider` text.
 * Pass the object a resource class hands to `dynamic.Resource`.
 */
export async function serializeProvider(provider: pulumi.dynamic.ResourceProvider): Promise<string> {
  const p = provider;
  const sf = await pulumi.runtime.serializeFunction(() => p, { allowSecrets: true });
  return sf.text;
}

export class ProviderHost {
  private constructor(
    private readonly child: ChildProcess,
    private readonly client: any,
    readonly stderr: string[],
  ) {}

  /**
   * Starts the host. `cwd` is the Pulumi program's directory (where `require` resolves);
   * `env` replaces the environment the host sees (credentials read at call time come from here).
   */
  static async start(opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<ProviderHost> {
    const child = spawn(
      process.execPath,
      [require.resolve("@pulumi/pulumi/cmd/dynamic-provider"), "127.0.0.1:1" /* no engine: never dialled */],
      { cwd: opts.cwd ?? REPO_ROOT, env: opts.env ?? process.env, stdio: ["ignore", "pipe", "pipe"] },
    );
    const stderr: string[] = [];
    child.stderr!.on("data", (d) => stderr.push(String(d)));
    const port = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`provider host did not start: ${stderr.join("")}`)),
        20_000,
      );
      child.stdout!.once("data", (d) => {
        clearTimeout(timer);
        resolve(String(d).trim());
      });
      child.once("exit", (code) => reject(new Error(`provider host exited ${code}: ${stderr.join("")}`)));
    });
    const client = new provrpc.ResourceProviderClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    return new ProviderHost(child, client, stderr);
  }

  private call<T>(method: string, req: unknown): Promise<T> {
    return new Promise((resolve, reject) =>
      this.client[method](req, (err: HostError | null, resp: T) => (err ? reject(err) : resolve(resp))),
    );
  }

  async check(urn: string, olds: Props, news: Props): Promise<CheckResult> {
    const req = new provproto.CheckRequest();
    req.setUrn(urn);
    req.setOlds(structproto.Struct.fromJavaScript(olds));
    req.setNews(structproto.Struct.fromJavaScript(news));
    const resp: any = await this.call("check", req);
    return {
      inputs: resp.getInputs()?.toJavaScript() ?? {},
      failures: resp
        .getFailuresList()
        .map((f: any) => ({ property: f.getProperty(), reason: f.getReason() })),
    };
  }

  async diff(id: string, urn: string, olds: Props, news: Props): Promise<DiffResult> {
    const req = new provproto.DiffRequest();
    req.setId(id);
    req.setUrn(urn);
    req.setOlds(structproto.Struct.fromJavaScript(olds));
    req.setNews(structproto.Struct.fromJavaScript(news));
    const resp: any = await this.call("diff", req);
    return {
      changes: resp.getChanges() === provproto.DiffResponse.DiffChanges.DIFF_SOME,
      replaces: resp.getReplacesList(),
      deleteBeforeReplace: resp.getDeletebeforereplace(),
    };
  }

  async create(urn: string, props: Props): Promise<{ id: string; outs: Props }> {
    const req = new provproto.CreateRequest();
    req.setUrn(urn);
    req.setProperties(structproto.Struct.fromJavaScript(props));
    const resp: any = await this.call("create", req);
    return { id: resp.getId(), outs: resp.getProperties().toJavaScript() };
  }

  /** Returns undefined when the provider reports the resource gone (refresh drops it). */
  async read(id: string, urn: string, props: Props): Promise<{ id: string; props: Props } | undefined> {
    const req = new provproto.ReadRequest();
    req.setId(id);
    req.setUrn(urn);
    req.setProperties(structproto.Struct.fromJavaScript(props));
    const resp: any = await this.call("read", req);
    if (!resp.getId()) return undefined;
    return { id: resp.getId(), props: resp.getProperties()?.toJavaScript() ?? {} };
  }

  async update(id: string, urn: string, olds: Props, news: Props): Promise<Props> {
    const req = new provproto.UpdateRequest();
    req.setId(id);
    req.setUrn(urn);
    req.setOlds(structproto.Struct.fromJavaScript(olds));
    req.setNews(structproto.Struct.fromJavaScript(news));
    const resp: any = await this.call("update", req);
    return resp.getProperties().toJavaScript();
  }

  async delete(id: string, urn: string, props: Props): Promise<void> {
    const req = new provproto.DeleteRequest();
    req.setId(id);
    req.setUrn(urn);
    req.setProperties(structproto.Struct.fromJavaScript(props));
    await this.call("delete", req);
  }

  async close(): Promise<void> {
    this.client.close();
    if (this.child.exitCode === null) {
      const exited = new Promise((r) => this.child.once("exit", r));
      this.child.kill();
      await exited;
    }
  }
}

/**
 * Starts the host with only PATH, fast retries and `env` in its environment, so credentials read
 * at call time come from `env` alone and never from the machine running the tests.
 */
export function startHost(env: Record<string, string> = {}): Promise<ProviderHost> {
  return ProviderHost.start({ env: { PATH: process.env.PATH, SG_WEBHOOKS_RETRY_BASE_MS: "5", ...env } });
}

/** Inputs as the engine sends them: a Struct has no undefined, so such inputs are left out. */
export function definedProps(all: Props): Props {
  return Object.fromEntries(Object.entries(all).filter(([, v]) => v !== undefined));
}

/** A URN as the engine builds it for a dynamic resource. */
export function dynamicUrn(
  module: string,
  type: string,
  name: string,
  stack = "test",
  project = "sgw",
): string {
  return `urn:pulumi:${stack}::${project}::pulumi-nodejs:dynamic/${module}:${type}::${name}`;
}
