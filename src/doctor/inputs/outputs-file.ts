// `--outputs FILE|-`: what `pulumi stack output --json` prints for a stack of the root program (or a
// program that exports the component's `receivers` and `hooks` under those names). No
// `--show-secrets` is needed: neither output is secret.
import { readFileSync } from "node:fs";
import { z } from "zod";
import type { CodeHost, HookKind } from "../types";
import { UsageError } from "./usage-error";

const text = z.string().min(1);

const receiverSchema = z.object({
  connection: text,
  codeHostKind: z.enum(["GITHUB", "GITLAB", "BITBUCKETSERVER", "BITBUCKETCLOUD"]),
  codeHostUrn: text,
  uuid: text,
  url: text,
  deliveryUrl: text,
});

const hookSchema = z.object({
  connection: text,
  codeHost: z.enum(["github", "gitlab", "bitbucketServer", "bitbucketCloud"]),
  kind: z.enum(["organization", "repository", "project", "group", "plugin", "workspace"]),
  target: z.union([text, z.number()]).transform(String),
  id: z.union([text, z.number()]).transform(String),
  receiverUuid: text,
  deliveryUrl: text,
  apiUrl: text.optional(),
  // Not in the pinned shape, but read when present: they let doctor check events and TLS as declared.
  events: z.array(text).optional(),
  enableSslVerification: z.boolean().optional(),
});

export type ReceiverOutput = z.infer<typeof receiverSchema>;
export interface HookOutput extends Omit<z.infer<typeof hookSchema>, "codeHost" | "kind"> {
  readonly codeHost: CodeHost;
  readonly kind: HookKind;
}

export interface StackOutputs {
  readonly receivers: ReceiverOutput[];
  /** Undefined when the stack was deployed by a version without the `hooks` output. */
  readonly hooks?: HookOutput[];
}

function readInput(file: string, stdin: () => string): string {
  if (file === "-") return stdin();
  try {
    return readFileSync(file, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new UsageError(
      `cannot read the stack outputs ${file} (${code ?? (err as Error).message}); give the file that pulumi stack output --json wrote, or - for standard input`,
    );
  }
}

function problems(error: z.ZodError, key: string): string {
  return error.issues
    .slice(0, 5)
    .map(
      (i) =>
        `${key}${i.path.map((p) => (typeof p === "number" ? `[${p}]` : `.${String(p)}`)).join("")}: ${i.message}`,
    )
    .join("; ");
}

/** Parses `pulumi stack output --json`. Throws UsageError naming what is wrong. */
export function parseStackOutputs(json: string, from: string): StackOutputs {
  let doc: unknown;
  try {
    doc = JSON.parse(json);
  } catch {
    throw new UsageError(`${from} is not JSON; give what pulumi stack output --json prints`);
  }
  if (typeof doc !== "object" || doc === null || Array.isArray(doc)) {
    throw new UsageError(`${from} is not the JSON object pulumi stack output --json prints`);
  }
  const out = doc as Record<string, unknown>;
  if (out.receivers === "[secret]" || out.hooks === "[secret]") {
    throw new UsageError(
      `${from}: receivers or hooks is shown as [secret]; export them as plain outputs (the root program does), or run pulumi stack output --json --show-secrets`,
    );
  }
  if (out.receivers === undefined) {
    throw new UsageError(
      `${from} has no receivers output; export the component's receivers and hooks at the top level (the root program does), or use --config`,
    );
  }
  const receivers = z.array(receiverSchema).safeParse(out.receivers);
  if (!receivers.success) throw new UsageError(`${from}: ${problems(receivers.error, "receivers")}`);
  if (out.hooks === undefined) return { receivers: receivers.data };
  const hooks = z.array(hookSchema).safeParse(out.hooks);
  if (!hooks.success) throw new UsageError(`${from}: ${problems(hooks.error, "hooks")}`);
  return { receivers: receivers.data, hooks: hooks.data };
}

/** Reads the outputs from a file, or from standard input for `-`. */
export function readStackOutputs(
  file: string,
  stdin: () => string = () => readFileSync(0, "utf8"),
): StackOutputs {
  return parseStackOutputs(readInput(file, stdin), file === "-" ? "standard input" : file);
}
