// Wires the relay together: store, receivers, forwarder, the main listener (deliveries and health
// checks) and the admin listener (Prometheus metrics).
import { createServer } from "node:http";
import pino, { type Logger } from "pino";
import { BodyRateWatch } from "./body-rate";
import { ByteBudget } from "./byte-budget";
import { createPrivateFile, DATABASE_FILE, prepareDataDir } from "./data-dir";
import { Forwarder } from "./forwarder";
import { type IntakeLimits, resolveIntakeLimits } from "./intake-limits";
import { listen } from "./listen";
import { lockDataDir } from "./lock";
import { createMetrics, type RelayMetrics } from "./metrics";
import { createNodeHandler } from "./node-adapter";
import { parseSourcegraphUrl } from "./options";
import { checkSigned, loadReceiversFile, ReceiverRegistry, receiversFileExposure } from "./receivers";
import type { RelayReceiver } from "./receivers-file";
import { fetchReceivers, RotationMemory } from "./sourcegraph-receivers";
import type { DeliveryStore } from "./store";
import { ThreadedStore } from "./threaded-store";
import { weakSecretWarner } from "./weak-secrets";

export type ReceiverSource =
  | { readonly file: string }
  | { readonly list: readonly RelayReceiver[] }
  | {
      readonly sourcegraph: {
        readonly url: string;
        readonly accessToken: string;
        readonly refreshMs: number;
        /** How long a replaced secret stays valid (default 1 h). */
        readonly rotationGraceMs?: number;
      };
    };

export interface RelayOptions extends Partial<IntakeLimits> {
  readonly listen: { host: string; port: number };
  /** Undefined: no admin listener. */
  readonly adminListen?: { host: string; port: number };
  readonly forwardTo: string;
  readonly receivers: ReceiverSource;
  readonly dataDir: string;
  readonly allowUnsigned?: boolean;
  /** Default 25 MB, GitHub's and GitLab's payload cap. */
  readonly maxBodyBytes?: number;
  /** Default 24 h. */
  readonly maxAgeMs?: number;
  readonly retryBaseMs?: number;
  readonly retryMaxDelayMs?: number;
  readonly forwardTimeoutMs?: number;
  readonly concurrency?: number;
  /** How long a delivery ID is remembered to drop redeliveries (default 7 days). */
  readonly dedupeWindowMs?: number;
  /** How long shutdown may wait for requests in progress and keep forwarding what is due (default 10 s). */
  readonly shutdownGraceMs?: number;
  readonly logger?: Logger;
  /** For tests: another store implementation. */
  readonly store?: DeliveryStore;
  /**
   * Called when the relay can no longer store deliveries (its store's thread stopped). It has then
   * stopped acknowledging: deliveries and /readyz are answered 503. `sg-webhooks serve` exits, so
   * that its supervisor starts it again.
   */
  readonly onFatal?: (err: Error) => void;
}

export interface Relay {
  readonly url: string;
  readonly adminUrl: string | undefined;
  readonly metrics: RelayMetrics;
  readonly store: DeliveryStore;
  readonly receivers: ReceiverRegistry;
  readonly forwarder: Forwarder;
  /** Re-reads the receivers (the file, or Sourcegraph). */
  reload(): Promise<void>;
  /** Stops taking deliveries, finishes requests and forwards what is due within the grace period, and closes. */
  close(): Promise<void>;
}

export const DEFAULT_MAX_BODY_BYTES = 25 * 1024 * 1024;

export async function startRelay(o: RelayOptions): Promise<Relay> {
  const logger = o.logger ?? pino({ name: "sg-webhooks-relay" });
  const maxBodyBytes = o.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const intake = resolveIntakeLimits(o, maxBodyBytes);
  // What `serve` checks, for every caller: a password in this URL would be logged below.
  parseSourcegraphUrl(o.forwardTo, "--forward-to");
  if (!o.store) openDataDir(o.dataDir, logger);
  const unlock = o.store ? () => {} : lockDataDir(o.dataDir);
  let store: DeliveryStore;
  try {
    store = o.store ?? (await ThreadedStore.open(o.dataDir));
  } catch (err) {
    unlock();
    throw new Error(`--data-dir ${o.dataDir}: cannot open the relay's store: ${(err as Error).message}`, {
      cause: err,
    });
  }
  const registry = new ReceiverRegistry();
  const rotation =
    "sourcegraph" in o.receivers
      ? new RotationMemory(o.receivers.sourcegraph.rotationGraceMs ?? 3_600_000)
      : undefined;

  const warnWeakSecrets = weakSecretWarner(logger);
  const load = async (atStart: boolean): Promise<void> => {
    const src = o.receivers;
    let list: RelayReceiver[];
    if ("file" in src) {
      list = loadReceiversFile(src.file);
      const exposed = receiversFileExposure(src.file);
      if (exposed) logger.warn({ file: src.file }, exposed);
    } else if ("list" in src) list = [...src.list];
    else {
      const { receivers, skipped } = await fetchReceivers({
        endpoint: src.sourcegraph.url,
        accessToken: src.sourcegraph.accessToken,
      });
      if (skipped.length > 0)
        logger.warn({ skipped }, "receivers of kinds the relay does not handle are skipped");
      list = rotation!.apply(receivers, Date.now());
    }
    if (atStart || "file" in src || "list" in src) checkSigned(list, o.allowUnsigned ?? false);
    else if (!o.allowUnsigned) {
      // After start-up, one unsigned receiver in Sourcegraph must not stop the others.
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
    if ("sourcegraph" in src && list.length === 0) {
      // Not fatal: the receivers may be created in Sourcegraph after the relay, which looks again.
      logger.warn(
        { sourcegraphUrl: src.sourcegraph.url, refreshMs: src.sourcegraph.refreshMs },
        "Sourcegraph has no receiver the relay can serve yet: every delivery is answered 404 until one is created there (the relay reads them again every --refresh-interval, or on SIGHUP)",
      );
    }
    warnWeakSecrets(list);
  };

  try {
    await load(true);
  } catch (err) {
    await store.close();
    unlock();
    throw err;
  }

  const unverifiedBudget = new ByteBudget(intake.maxUnverifiedBytes);
  const bodyRate = new BodyRateWatch(intake.minBodyRate, intake.minBodyRateGraceMs);
  const metrics = createMetrics(
    () => store.counts(),
    () => unverifiedBudget.held,
  );
  const forwarder = new Forwarder({
    store,
    receiver: (uuid) => registry.get(uuid),
    forwardTo: o.forwardTo,
    metrics,
    logger,
    concurrency: o.concurrency ?? 8,
    maxAgeMs: o.maxAgeMs ?? 24 * 3_600_000,
    retryBaseMs: o.retryBaseMs ?? 1000,
    retryMaxDelayMs: o.retryMaxDelayMs ?? 5 * 60_000,
    timeoutMs: o.forwardTimeoutMs ?? 30_000,
  });

  let ready = false;
  if (store instanceof ThreadedStore) {
    store.onFailure((err) => {
      ready = false;
      logger.fatal(
        { err: { message: err.message } },
        "the store's thread stopped: deliveries are refused until the relay is restarted",
      );
      o.onFatal?.(err);
    });
  }
  const inflight = new Set<Promise<void>>();
  const handler = createNodeHandler({
    store,
    receiver: (uuid) => registry.get(uuid),
    metrics,
    logger,
    stored: (d) => forwarder.offer(d),
    maxBodyBytes,
    unverifiedBudget,
    bodyRate,
    ready: () => ready,
  });
  const main = createServer((req, res) => {
    // Tracked so shutdown waits for every delivery already being stored and answered.
    const done = new Promise<void>((resolve) => res.once("close", resolve));
    inflight.add(done);
    void done.then(() => inflight.delete(done));
    handler(req, res);
  });
  main.requestTimeout = 60_000;
  // Sockets beyond the cap are closed as they are accepted, before any byte is read.
  main.maxConnections = intake.maxConnections;
  main.on("drop", () => metrics.rejected.inc({ reason: "connection_cap" }));
  const admin = o.adminListen
    ? createServer(async (req, res) => {
        if ((req.url ?? "").split("?")[0] !== "/metrics") {
          res.writeHead(404, { "content-type": "text/plain; charset=utf-8" }).end("404 page not found\n");
          return;
        }
        try {
          const text = await metrics.registry.metrics();
          res.writeHead(200, { "content-type": metrics.registry.contentType }).end(text);
        } catch (err) {
          res.writeHead(500).end(String(err));
        }
      })
    : undefined;

  let url: string;
  let adminUrl: string | undefined;
  try {
    url = await listen(main, o.listen, "main");
    adminUrl = admin && o.adminListen ? await listen(admin, o.adminListen, "admin") : undefined;
  } catch (err) {
    main.close();
    admin?.close();
    await store.close();
    unlock();
    throw err;
  }

  forwarder.start();
  bodyRate.start();
  const timers: NodeJS.Timeout[] = [];
  const dedupeWindow = o.dedupeWindowMs ?? 7 * 86_400_000;
  const prune = () =>
    store
      .prune(Date.now() - dedupeWindow)
      .catch((err) => logger.error({ err }, "pruning delivery IDs failed"));
  void prune();
  timers.push(setInterval(prune, 3_600_000));
  if ("sourcegraph" in o.receivers) {
    timers.push(
      setInterval(() => {
        load(false).catch((err) =>
          logger.error(
            { err: { message: (err as Error).message } },
            "refreshing receivers from Sourcegraph failed; keeping the last list",
          ),
        );
      }, o.receivers.sourcegraph.refreshMs),
    );
  }
  for (const t of timers) t.unref();
  ready = true;
  logger.info({ url, adminUrl, forwardTo: o.forwardTo, dataDir: o.dataDir }, "relay ready");

  let closing: Promise<void> | undefined;
  return {
    url,
    adminUrl,
    metrics,
    store,
    receivers: registry,
    forwarder,
    reload: () => load(false),
    close() {
      closing ??= (async () => {
        ready = false;
        const deadline = Date.now() + (o.shutdownGraceMs ?? 10_000);
        for (const t of timers) clearInterval(t);
        const stopped = new Promise<void>((r) => main.close(() => r()));
        main.closeIdleConnections();
        // Requests already in progress finish: their deliveries are stored and acknowledged. But
        // server.close() also stops Node's request timeouts, so a client that never finishes its
        // request would hold the shutdown forever: past the grace period its connection is cut
        // (nothing it sent was acknowledged, so its code host sends it again).
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([
          Promise.allSettled([...inflight]),
          new Promise<void>((r) => {
            timer = setTimeout(r, Math.max(0, deadline - Date.now()));
          }),
        ]);
        clearTimeout(timer);
        main.closeAllConnections();
        bodyRate.stop();
        await stopped;
        await forwarder.drain(deadline);
        await forwarder.stop();
        await new Promise<void>((r) => (admin ? admin.close(() => r()) : r()));
        admin?.closeAllConnections();
        await store.close();
        unlock();
        logger.info("relay stopped");
      })();
      return closing;
    },
  };
}

/** Creates the data directory, or makes an existing one owner-only, saying so. */
function openDataDir(dir: string, logger: Logger): void {
  const { tightened, sharedMode } = prepareDataDir(dir);
  // Here rather than on the store's thread, whose errors reach this one as text only.
  createPrivateFile(dir, DATABASE_FILE);
  if (tightened.length > 0) {
    logger.warn(
      { dataDir: dir, tightened },
      "other users could read the data directory (it holds delivery bodies): made it owner-only (directory 0700, files 0600)",
    );
  }
  if (sharedMode) {
    logger.warn(
      { dataDir: dir, mode: sharedMode },
      "the data directory is open to other users and holds files that are not the relay's, so it was left as it is; give the relay a directory of its own (created 0700 when missing)",
    );
  }
}
