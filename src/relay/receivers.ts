// The receivers the relay serves: uuid, code host kind and secrets (secrets[0] is the one
// Sourcegraph holds), from a JSON file or from Sourcegraph's GraphQL API.
import { readFileSync, statSync } from "node:fs";
import { parseReceivers, RECEIVERS_FILE_SHAPE, type RelayReceiver } from "./receivers-file";

export function loadReceiversFile(path: string): RelayReceiver[] {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    throw new Error(`cannot read the receivers file ${path}: ${(err as Error).message}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new Error(
      `the receivers file ${path} is not JSON: ${withoutExcerpt((err as Error).message)}; fix its syntax (\`jq . ${path}\` shows where)`,
    );
  }
  const receivers = parseReceivers(value, `receivers file ${path}`);
  if (receivers.length === 0) {
    // Every delivery would be answered 404: a relay that can accept nothing is a mistake.
    throw new Error(
      `the receivers file ${path} lists no receivers, so the relay could accept no delivery; add them (${RECEIVERS_FILE_SHAPE}), or read them from Sourcegraph with --sourcegraph-url`,
    );
  }
  return receivers;
}

/**
 * Who else may read or write the receivers file, which holds the receivers' secrets: undefined
 * when only its owner may, else a warning that says how to fix it.
 */
export function receiversFileExposure(path: string): string | undefined {
  let mode: number;
  try {
    mode = statSync(path).mode & 0o777;
  } catch {
    return undefined;
  }
  const who = [mode & 0o060 ? "its group" : "", mode & 0o006 ? "every user" : ""].filter(Boolean);
  if (who.length === 0) return undefined;
  const can = [mode & 0o044 ? "read" : "", mode & 0o022 ? "change" : ""].filter(Boolean);
  return `the receivers file ${path} holds the receivers' secrets, and ${who.join(" and ")} may ${can.join(" and ")} it (mode ${mode.toString(8).padStart(4, "0")}); make it the relay user's only: chmod 600 ${path}`;
}

/**
 * V8 quotes the text around a syntax error (`Unexpected token ']', ..."y-secret",]}]" is not valid
 * JSON`), and the text of this file is secrets: keep the kind of error, never the excerpt.
 */
function withoutExcerpt(message: string): string {
  const kept = message.replace(/,?\s*(?:\.\.\.)?".*"(?:\.\.\.)?\s+is not valid JSON\s*$/s, "");
  // Another engine's wording may quote the text differently: cut at the first double quote.
  const quote = kept.indexOf('"');
  return (quote < 0 ? kept : kept.slice(0, quote)).trim();
}

/** Refuses receivers without a secret unless unsigned deliveries were explicitly allowed. */
export function checkSigned(receivers: readonly RelayReceiver[], allowUnsigned: boolean): void {
  if (allowUnsigned) return;
  const unsigned = receivers.filter((r) => r.secrets.length === 0);
  if (unsigned.length > 0) {
    throw new Error(
      `receiver${unsigned.length > 1 ? "s" : ""} ${unsigned.map((r) => `${r.uuid} (${r.codeHostKind})`).join(", ")} ha${unsigned.length > 1 ? "ve" : "s"} no secret, so anyone could send deliveries through the relay; give ${unsigned.length > 1 ? "them" : "it"} a secret, or pass --allow-unsigned`,
    );
  }
}

/** The live set of receivers, replaced as a whole on refresh. */
export class ReceiverRegistry {
  private byUuid = new Map<string, RelayReceiver>();

  constructor(receivers: readonly RelayReceiver[] = []) {
    this.replace(receivers);
  }

  get(uuid: string): RelayReceiver | undefined {
    return this.byUuid.get(uuid);
  }

  list(): RelayReceiver[] {
    return [...this.byUuid.values()];
  }

  get size(): number {
    return this.byUuid.size;
  }

  replace(receivers: readonly RelayReceiver[]): void {
    this.byUuid = new Map(receivers.map((r) => [r.uuid, r]));
  }
}
