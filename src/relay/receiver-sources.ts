// Where the relay's receivers come from (a file, a list given in code, or Sourcegraph's API), and
// how a source is read into the live registry, at start-up and on every refresh or reload.
import type { Logger } from "pino";
import { RELAY_DEFAULTS } from "./defaults";
import { checkSigned, loadReceiversFile, type ReceiverRegistry, receiversFileExposure } from "./receivers";
import type { RelayReceiver } from "./receivers-file";
import { fetchReceivers, RotationMemory } from "./sourcegraph-receivers";
import { weakSecretWarner } from "./weak-secrets";

export type ReceiverSource =
  | { readonly file: string }
  | { readonly list: readonly RelayReceiver[] }
  | {
      readonly sourcegraph: {
        readonly url: string;
        readonly accessToken: string;
        readonly refreshMs: number;
        /** How long a replaced secret stays valid (default `RELAY_DEFAULTS.rotationGrace`). */
        readonly rotationGraceMs?: number;
      };
    };

export interface ReceiverLoader {
  /**
   * Reads the source into the registry. At start-up, and always for a file or a list, a receiver
   * without a secret fails the load (unless unsigned ones are allowed); a refresh from Sourcegraph
   * leaves such a receiver out instead, so that one of them does not stop the others.
   */
  load(atStart: boolean): Promise<void>;
  /** How often to read the source again by itself; undefined: only when told (SIGHUP). */
  readonly refreshMs: number | undefined;
}

export function receiverLoader(
  source: ReceiverSource,
  registry: ReceiverRegistry,
  { logger, allowUnsigned }: { logger: Logger; allowUnsigned: boolean },
): ReceiverLoader {
  const rotation =
    "sourcegraph" in source
      ? new RotationMemory(source.sourcegraph.rotationGraceMs ?? RELAY_DEFAULTS.rotationGrace.ms)
      : undefined;
  const warnWeakSecrets = weakSecretWarner(logger);

  const read = async (): Promise<RelayReceiver[]> => {
    if ("file" in source) {
      const list = loadReceiversFile(source.file);
      const exposed = receiversFileExposure(source.file);
      if (exposed) logger.warn({ file: source.file }, exposed);
      return list;
    }
    if ("list" in source) return [...source.list];
    const { receivers, skipped } = await fetchReceivers({
      endpoint: source.sourcegraph.url,
      accessToken: source.sourcegraph.accessToken,
    });
    if (skipped.length > 0)
      logger.warn({ skipped }, "receivers of kinds the relay does not handle are skipped");
    return rotation!.apply(receivers, Date.now());
  };

  return {
    refreshMs: "sourcegraph" in source ? source.sourcegraph.refreshMs : undefined,
    async load(atStart) {
      let list = await read();
      if (atStart || !("sourcegraph" in source)) checkSigned(list, allowUnsigned);
      else if (!allowUnsigned) {
        const unsigned = list.filter((r) => r.secrets.length === 0);
        if (unsigned.length > 0)
          logger.warn(
            { receivers: unsigned.map((r) => r.uuid) },
            "receivers without a secret are not served (pass --allow-unsigned to serve them)",
          );
        list = list.filter((r) => r.secrets.length > 0);
      }
      registry.replace(list);
      logger.info({ receivers: list.length }, "receivers loaded");
      if ("sourcegraph" in source && list.length === 0) {
        // Not fatal: the receivers may be created in Sourcegraph after the relay, which looks again.
        logger.warn(
          { sourcegraphUrl: source.sourcegraph.url, refreshMs: source.sourcegraph.refreshMs },
          "Sourcegraph has no receiver the relay can serve yet: every delivery is answered 404 until one is created there (the relay reads them again every --refresh-interval, or on SIGHUP)",
        );
      }
      warnWeakSecrets(list);
    },
  };
}
