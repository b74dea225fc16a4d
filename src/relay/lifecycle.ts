// The relay's lifecycle: start (the data directory and store, the receivers, the forwarder, the
// two listeners, the timers) and close (stop taking deliveries, finish and forward what is due
// within the grace period, release the store). Where receivers come from is receiver-sources.ts,
// the listeners servers.ts, every default RELAY_DEFAULTS.
import { randomUUID } from "node:crypto";
import pino, { type Logger } from "pino";
import { BodyRateWatch } from "./body-rate";
import { ByteBudget } from "./byte-budget";
import { createPrivateFile, DATABASE_FILE, prepareDataDir } from "./data-dir";
import { RELAY_DEFAULTS } from "./defaults";
import { Forwarder } from "./forwarder";
import { type IntakeLimits, resolveIntakeLimits } from "./intake-limits";
import { lockDataDir } from "./lock";
import { createMetrics, type RelayMetrics } from "./metrics";
import { createNodeHandler } from "./node-adapter";
import { parseSourcegraphUrl } from "./options";
import { type ReceiverLoader, type ReceiverSource, receiverLoader } from "./receiver-sources";
import { ReceiverRegistry } from "./receivers";
import { type Address, createServers } from "./servers";
import { SignatureReuse } from "./signature-reuse";
import type { DeliveryStore, Lease } from "./store";
import { type DatabaseOptions, isSharedStore, openDatabase } from "./store-target";
import { ThreadedStore } from "./threaded-store";

/** The relay's options; every one left out takes its value in RELAY_DEFAULTS. */
export interface RelayOptions extends Partial<IntakeLimits> {
  readonly listen: Address;
  /** Undefined: no admin listener. */
  readonly adminListen?: Address;
  readonly forwardTo: string;
  readonly receivers: ReceiverSource;
  /** SQLite in this directory, one relay per directory. Exactly one of `dataDir` and `database`. */
  readonly dataDir?: string;
  /** PostgreSQL, shared by any number of relays. */
  readonly database?: DatabaseOptions;
  readonly allowUnsigned?: boolean;
  readonly maxBodyBytes?: number;
  readonly maxAgeMs?: number;
  readonly retryBaseMs?: number;
  readonly retryMaxDelayMs?: number;
  readonly forwardTimeoutMs?: number;
  readonly concurrency?: number;
  /** How long after a delivery is settled its record, and so its delivery ID, is kept to drop redeliveries. */
  readonly dedupeWindowMs?: number;
  /** How long shutdown may wait for requests in progress and keep forwarding what is due. */
  readonly shutdownGraceMs?: number;
  /**
   * How long this relay's claim on a delivery holds without a heartbeat (renewed every sixth of
   * it); expired claims are swept every half of it.
   */
  readonly leaseMs?: number;
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
  /** This relay's owner ID in the store's claims: random, made at start, logged with "relay ready". */
  readonly owner: string;
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

export async function startRelay(options: RelayOptions): Promise<Relay> {
  const logger = options.logger ?? pino({ name: "sg-webhooks-relay" });
  const maxBodyBytes = options.maxBodyBytes ?? RELAY_DEFAULTS.maxBodyBytes;
  const intake = resolveIntakeLimits(options, maxBodyBytes);
  // What `serve` checks, for every caller: a password in this URL would be logged below.
  parseSourcegraphUrl(options.forwardTo, "--forward-to");
  const { store, unlock, exclusive } = await openStore(options, logger);
  const lease: Lease = { owner: randomUUID(), ms: options.leaseMs ?? RELAY_DEFAULTS.lease.ms };

  const registry = new ReceiverRegistry();
  const receivers = receiverLoader(options.receivers, registry, {
    logger,
    allowUnsigned: options.allowUnsigned ?? false,
  });
  try {
    await receivers.load(true);
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
    () => forwarder.claimsHeld,
  );
  if (exclusive) {
    // The only relay on this store (it holds the data directory's lock): every claim in it was
    // left by a predecessor that stopped without releasing it (killed, or its machine lost), and
    // is freed now rather than when its lease ends. Before anything of this relay is claimed.
    try {
      const freed = await store.sweep(Number.MAX_SAFE_INTEGER);
      metrics.claimsSwept.inc(freed);
      if (freed > 0) {
        logger.warn(
          { count: freed },
          "freed the claims a previous relay on this data directory left when it stopped without releasing them: their deliveries are forwarded now",
        );
      }
    } catch (err) {
      await store.close();
      unlock();
      throw err;
    }
  }
  // One key per relay: a signature kept by another process (a predecessor, another relay) is
  // never taken for one made with this relay's secrets[0]; that delivery is signed again.
  const signatures = new SignatureReuse();
  const forwarder = new Forwarder({
    store,
    receiver: (uuid) => registry.get(uuid),
    forwardTo: options.forwardTo,
    metrics,
    logger,
    concurrency: options.concurrency ?? RELAY_DEFAULTS.concurrency,
    maxAgeMs: options.maxAgeMs ?? RELAY_DEFAULTS.maxAge.ms,
    retryBaseMs: options.retryBaseMs ?? RELAY_DEFAULTS.retryBase.ms,
    retryMaxDelayMs: options.retryMaxDelayMs ?? RELAY_DEFAULTS.retryMaxDelay.ms,
    timeoutMs: options.forwardTimeoutMs ?? RELAY_DEFAULTS.forwardTimeout.ms,
    lease,
    signatures,
  });

  let ready = false;
  // A shared store (PostgreSQL) that stops answering refuses deliveries and fails /readyz until it
  // answers again; the relay stays up. The other relays' wake-ups send the forwarder looking.
  let storeUp = true;
  const unsubscribe: (() => void)[] = [];
  if (isSharedStore(store)) {
    storeUp = store.available;
    unsubscribe.push(
      store.onAvailability((available) => {
        storeUp = available;
        if (available) forwarder.kick();
      }),
      store.onWake(() => forwarder.kick()),
    );
  }
  if (store instanceof ThreadedStore) {
    store.onFailure((err) => {
      ready = false;
      logger.fatal(
        { err: { message: err.message } },
        "the store's thread stopped: deliveries are refused until the relay is restarted",
      );
      options.onFatal?.(err);
    });
  }
  const servers = createServers(
    createNodeHandler({
      store,
      receiver: (uuid) => registry.get(uuid),
      metrics,
      logger,
      lease,
      stored: (d) => forwarder.offer(d),
      signatures,
      maxBodyBytes,
      unverifiedBudget,
      bodyRate,
      ready: () => ready && storeUp,
      sharedBodies: store instanceof ThreadedStore,
    }),
    { metrics, maxConnections: intake.maxConnections, admin: options.adminListen !== undefined },
  );
  let addresses: { url: string; adminUrl: string | undefined };
  try {
    addresses = await servers.listen(options.listen, options.adminListen);
  } catch (err) {
    await store.close();
    unlock();
    throw err;
  }

  forwarder.start();
  bodyRate.start();
  const timers = startTimers(options, store, receivers, logger, { lease, metrics });
  ready = true;
  const { url, adminUrl } = addresses;
  logger.info(
    {
      url,
      adminUrl,
      forwardTo: options.forwardTo,
      ...(isSharedStore(store)
        ? { database: store.target, schema: store.schema }
        : { dataDir: options.dataDir }),
      owner: lease.owner,
      leaseMs: lease.ms,
    },
    "relay ready",
  );

  let closing: Promise<void> | undefined;
  return {
    url,
    owner: lease.owner,
    adminUrl,
    metrics,
    store,
    receivers: registry,
    forwarder,
    reload: () => receivers.load(false),
    close() {
      closing ??= (async () => {
        ready = false;
        const deadline = Date.now() + (options.shutdownGraceMs ?? RELAY_DEFAULTS.shutdownGrace.ms);
        for (const t of timers) clearInterval(t);
        await servers.closeMain(deadline);
        bodyRate.stop();
        await forwarder.drain(deadline);
        await forwarder.stop();
        await servers.closeAdmin();
        for (const u of unsubscribe) u();
        await store.close();
        unlock();
        logger.info("relay stopped");
      })();
      return closing;
    },
  };
}

interface OpenedStore {
  readonly store: DeliveryStore;
  /** Releases what the store's opening took (the data directory's lock). */
  readonly unlock: () => void;
  /**
   * No other relay can use this store while this one runs (SQLite: the data directory's lock), so
   * every claim found in it at start is a dead predecessor's, freed at once.
   */
  readonly exclusive: boolean;
}

/**
 * The store: the one given, PostgreSQL (shared, so no lock and no claim is anyone's to free at
 * start), or SQLite in the data directory, locked for this process.
 */
async function openStore(options: RelayOptions, logger: Logger): Promise<OpenedStore> {
  if (options.store) return { store: options.store, unlock: () => {}, exclusive: false };
  if (options.database !== undefined) {
    if (options.dataDir !== undefined) {
      throw new Error("give the relay either a data directory (SQLite) or a database (PostgreSQL), not both");
    }
    const store = await openDatabase(options.database, { applicationName: "sg-webhooks serve", logger });
    return { store, unlock: () => {}, exclusive: false };
  }
  if (options.dataDir === undefined) {
    throw new Error("give the relay a data directory (SQLite) or a database (PostgreSQL) for its store");
  }
  openDataDir(options.dataDir, logger);
  const unlock = lockDataDir(options.dataDir);
  try {
    return { store: await ThreadedStore.open(options.dataDir), unlock, exclusive: true };
  } catch (err) {
    unlock();
    throw new Error(
      `--data-dir ${options.dataDir}: cannot open the relay's store: ${(err as Error).message}`,
      {
        cause: err,
      },
    );
  }
}

/**
 * Prunes delivery IDs past the dedupe window (now and hourly), frees expired claims (every half
 * lease), and reads Sourcegraph's receivers again on schedule.
 */
function startTimers(
  options: RelayOptions,
  store: DeliveryStore,
  receivers: ReceiverLoader,
  logger: Logger,
  claims: { lease: Lease; metrics: RelayMetrics },
): NodeJS.Timeout[] {
  const timers: NodeJS.Timeout[] = [];
  const dedupeWindow = options.dedupeWindowMs ?? RELAY_DEFAULTS.dedupeWindow.ms;
  const prune = () =>
    store
      .prune(Date.now() - dedupeWindow)
      .catch((err) => logger.error({ err }, "pruning delivery IDs failed"));
  void prune();
  timers.push(setInterval(prune, RELAY_DEFAULTS.pruneInterval.ms));
  // From a promise: a store that throws at once must not end the process from a timer.
  const sweep = () =>
    Promise.resolve()
      .then(() => store.sweep(Date.now()))
      .then((freed) => {
        claims.metrics.claimsSwept.inc(freed);
        if (freed > 0) {
          logger.warn(
            { count: freed },
            "freed claims whose lease ended without a heartbeat (a relay stopped or stalled): their deliveries are forwarded again, at least once",
          );
        }
      })
      .catch((err) => logger.error({ err }, "sweeping expired claims failed"));
  timers.push(setInterval(sweep, Math.max(1, Math.floor(claims.lease.ms / 2))));
  if (receivers.refreshMs !== undefined) {
    timers.push(
      setInterval(() => {
        receivers
          .load(false)
          .catch((err) =>
            logger.error(
              { err: { message: (err as Error).message } },
              "refreshing receivers from Sourcegraph failed; keeping the last list",
            ),
          );
      }, receivers.refreshMs),
    );
  }
  for (const t of timers) t.unref();
  return timers;
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
