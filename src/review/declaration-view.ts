// A checked declaration as what it deploys: per connection its receiver and hooks under the names
// `pulumi preview` shows (the component's own resolution, hook descriptions and resource names),
// its events as a set, and its secret and credentials as where they come from plus a digest to
// compare them by. No value of a secret or credential is kept, so none can be printed.
import { createHash } from "node:crypto";
import type { CodeHost } from "../../providers/events";
import { type Connection, resolveDeclaration } from "../components/connections";
import { describeHooks, type HookKind } from "../components/hook-descriptions";
import { hookResourceName, receiverResourceName } from "../components/resource-names";
import { ROOT_COMPONENT_NAME } from "../program/root-component";
import type { CheckedDeclaration } from "./check-declaration";

/** Where a secret or credential comes from, and a digest that tells two values apart (never printed). */
export interface SecretSource {
  /** `generated`: by the receiver; `none`: `secret: false`; `environment`: a credential left to its variable. */
  readonly source: "generated" | "none" | "environment" | "plain" | "encrypted";
  /** SHA-256 of the plain value or of the ciphertext. */
  readonly digest?: string;
}

export interface HookView {
  /** The end of its resource name (`project-platform/web`): what matches a hook across two declarations. */
  readonly name: string;
  /** Its resource name, as `pulumi preview` shows it. */
  readonly resource: string;
  readonly kind: HookKind;
  readonly target: string;
}

export interface ConnectionView {
  /** `<code host>/<key>`, as in the `receivers` output. */
  readonly id: string;
  readonly host: CodeHost;
  readonly key: string;
  /** The code host URL (the receiver's code host URN). */
  readonly url: string;
  /** The receiver's resource name. */
  readonly receiver: string;
  readonly hooks: readonly HookView[];
  readonly events: ReadonlySet<string>;
  /** GitLab: whether GitLab verifies the receiver's TLS certificate. */
  readonly tls?: boolean;
  readonly secret: SecretSource;
  /** Each credential field the connection can have, by its name in the declaration. */
  readonly credentials: Readonly<Record<string, SecretSource>>;
  /** Plain settings, printable as they are; undefined: the default. */
  readonly settings: Readonly<Record<string, string | undefined>>;
}

export interface DeclarationView {
  /** The file, as named on the command line or `<ref>:<path>`. */
  readonly file: string;
  readonly connections: readonly ConnectionView[];
  readonly relayUrl: string | undefined;
  /** `sourcegraph.endpoint` as declared; undefined: SRC_ENDPOINT. */
  readonly sourcegraphEndpoint: string | undefined;
  readonly sourcegraphToken: SecretSource;
  /** Config keys encrypted as a whole (nothing inside is readable), with the digest of each. */
  readonly encryptedKeys: Readonly<Record<string, string>>;
}

const digest = (value: string): string => createHash("sha256").update(value).digest("hex");

/** The credential fields of each code host's connections. */
const CREDENTIALS: { readonly [H in CodeHost]: readonly string[] } = {
  github: ["token"],
  gitlab: ["token"],
  bitbucketServer: ["token", "username", "password"],
  bitbucketCloud: ["token", "email", "apiToken"],
};

/** The view of a checked declaration without problems (`checked.problems` is empty). */
export function viewOf(checked: CheckedDeclaration, env: NodeJS.ProcessEnv = process.env): DeclarationView {
  const { source, args } = checked;
  const encrypted = new Map(source.encrypted.map((e) => [e.path, e.digest]));
  /** A value at a config path: encrypted (its ciphertext's digest), plain (its own), or absent. */
  const sourceAt = (path: string, value: unknown, absent: SecretSource["source"]): SecretSource => {
    const cipher = encrypted.get(path);
    if (cipher !== undefined) return { source: "encrypted", digest: cipher };
    if (typeof value === "string") return { source: "plain", digest: digest(value) };
    return { source: absent };
  };
  const resolved = resolveDeclaration(args, env);
  // Connections resolve in declaration order per code host: the n-th of a host is `<host>[n]`.
  const seen: Partial<Record<CodeHost, number>> = {};
  const connections = resolved.connections.map((c): ConnectionView => {
    const index = seen[c.host] ?? 0;
    seen[c.host] = index + 1;
    const where = `${c.host}[${index}]`;
    const declared = (args[c.host]?.[index] ?? {}) as Record<string, unknown>;
    return {
      id: c.connection,
      host: c.host,
      key: c.key,
      url: c.url,
      receiver: receiverResourceName(ROOT_COMPONENT_NAME, c),
      hooks: describeHooks(c).map((h) => ({
        name: h.name,
        resource: hookResourceName(ROOT_COMPONENT_NAME, c, h.name),
        kind: h.kind,
        target: h.target,
      })),
      events: new Set(c.events),
      ...(c.host === "gitlab" ? { tls: c.enableSslVerification ?? true } : {}),
      secret:
        c.secret === false ? { source: "none" } : sourceAt(`${where}.secret`, declared.secret, "generated"),
      credentials: Object.fromEntries(
        CREDENTIALS[c.host].map((field) => [
          field,
          sourceAt(`${where}.${field}`, declared[field], "environment"),
        ]),
      ),
      settings: settingsOf(c),
    };
  });
  return {
    file: source.file,
    connections,
    relayUrl: resolved.relayUrl,
    sourcegraphEndpoint: plainEndpoint(args.sourcegraph?.endpoint, encrypted.has("sourcegraph.endpoint")),
    sourcegraphToken: sourceAt("sourcegraph.accessToken", args.sourcegraph?.accessToken, "environment"),
    encryptedKeys: Object.fromEntries(
      source.encrypted.filter((e) => e.wholeKey && !e.path.includes(":")).map((e) => [e.path, e.digest]),
    ),
  };
}

/** The settings a reviewer may read as they are: none holds a credential. */
function settingsOf(c: Connection): Record<string, string | undefined> {
  const common = {
    receiverName: c.receiverName,
    adopt: c.adopt === undefined ? undefined : String(c.adopt),
  };
  return c.host === "bitbucketCloud" ? { ...common, apiUrl: c.apiUrl, description: c.description } : common;
}

/** The declared Sourcegraph endpoint, unless it is encrypted (its stand-in is no endpoint). */
function plainEndpoint(endpoint: unknown, isEncrypted: boolean): string | undefined {
  return typeof endpoint === "string" && !isEncrypted ? endpoint : undefined;
}
