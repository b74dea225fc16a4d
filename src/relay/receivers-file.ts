// The relay's receivers file (`sg-webhooks serve --receivers FILE`, `dlq replay --to-receiver`):
// one type and one schema for the component that writes it (`relayReceiversFile`) and the relay
// that reads it.
import { z } from "zod";
import { CODE_HOST_KINDS, type CodeHostKind } from "../../providers/shared/code-host-kind";
import { parseUuid } from "../ingest/parse-uuid";

/** One receiver the relay serves: one entry of the receivers file. */
export interface RelayReceiver {
  /** The receiver's UUID in Sourcegraph; the relay takes its deliveries at `/.api/webhooks/<uuid>`. Read back lowercase and dashed. */
  readonly uuid: string;
  readonly codeHostKind: CodeHostKind;
  /** The secrets a delivery may be signed with, the one Sourcegraph holds first. Empty: no secret (unsigned deliveries). */
  readonly secrets: readonly string[];
}

/** The file's shape, for messages that say what is expected. */
export const RECEIVERS_FILE_SHAPE = `[{"uuid": "...", "codeHostKind": "${CODE_HOST_KINDS.join("|")}", "secrets": ["..."]}]`;

export const relayReceiverSchema = z.object({
  uuid: z.string().refine((v) => parseUuid(v) !== undefined, { message: "not a UUID" }),
  codeHostKind: z.enum(CODE_HOST_KINDS),
  secrets: z.array(z.string().min(1, { message: "a secret must not be empty" })),
}) satisfies z.ZodType<RelayReceiver>;

export const receiversFileSchema = z.array(relayReceiverSchema);

/** The file's text: what the component outputs as `relayReceiversFile`. */
export function formatReceiversFile(receivers: readonly RelayReceiver[]): string {
  return JSON.stringify(receivers, null, 2);
}

/** Validates a receivers list (the file's content, parsed), with messages that point at the entry. */
export function parseReceivers(value: unknown, where: string): RelayReceiver[] {
  const result = receiversFileSchema.safeParse(value);
  if (!result.success) {
    const problems = result.error.issues.map((i) => {
      const path = i.path.map((p) => (typeof p === "number" ? `[${p}]` : `.${String(p)}`)).join("");
      return `${path || "(top level)"}: ${i.message}`;
    });
    throw new Error(`${where}: ${problems.join("; ")} (expected ${RECEIVERS_FILE_SHAPE})`);
  }
  const seen = new Set<string>();
  return result.data.map((r, i) => {
    const uuid = parseUuid(r.uuid)!;
    if (seen.has(uuid)) throw new Error(`${where}: [${i}].uuid: ${uuid} is listed twice`);
    seen.add(uuid);
    return { uuid, codeHostKind: r.codeHostKind, secrets: r.secrets };
  });
}
