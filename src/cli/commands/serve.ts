// `sg-webhooks serve`: the ingest relay.
import type { Command } from "commander";
import pino from "pino";
import {
  RELAY_DEFAULTS as DEFAULTS,
  parseDuration,
  parseListen,
  parsePositiveInt,
  type ReceiverSource,
  startRelay,
} from "../../relay";
import { LOG_LEVELS, parseLogLevel, parseSourcegraphUrl } from "../../relay/options";
import { databaseOptions } from "../../relay/store-target";
import { storeTargetOf, withStoreFlags } from "../store-flags";

interface ServeFlags {
  listen: string;
  forwardTo: string;
  receivers?: string;
  sourcegraphUrl?: string;
  refreshInterval: string;
  rotationGrace: string;
  adminListen: string;
  allowUnsigned?: boolean;
  maxBodyBytes: string;
  maxUnverifiedBytes: string;
  maxConnections: string;
  minBodyRate: string;
  maxAge: string;
  retryBase: string;
  retryMaxDelay: string;
  forwardTimeout: string;
  concurrency: string;
  lease: string;
  dedupeWindow: string;
  shutdownGrace: string;
  logLevel: string;
}

export function registerServe(program: Command): void {
  withStoreFlags(
    program
      .command("serve")
      .description(
        "Run the ingest relay: verify code host deliveries as Sourcegraph would, store them, forward them to Sourcegraph",
      )
      .requiredOption("--forward-to <url>", "Sourcegraph's URL; deliveries go to <url>/.api/webhooks/<uuid>"),
    { dataDirHelp: "where the relay keeps its SQLite store (one relay per directory)", poolSize: true },
  )
    .option("--listen <host:port>", "where code hosts deliver (and /healthz, /readyz)", DEFAULTS.listen)
    .option(
      "--receivers <file>",
      'JSON: [{"uuid", "codeHostKind", "secrets": [..]}]; secrets[0] is the one Sourcegraph holds',
    )
    .option(
      "--sourcegraph-url <url>",
      "read the receivers from Sourcegraph's API instead (token in SRC_ACCESS_TOKEN)",
    )
    .option(
      "--refresh-interval <duration>",
      "how often to re-read receivers from Sourcegraph",
      DEFAULTS.refreshInterval.text,
    )
    .option(
      "--rotation-grace <duration>",
      "how long a secret replaced in Sourcegraph stays valid at the relay",
      DEFAULTS.rotationGrace.text,
    )
    .option(
      "--admin-listen <host:port>",
      "Prometheus /metrics listener ('off' to disable)",
      DEFAULTS.adminListen,
    )
    .option("--allow-unsigned", "serve receivers that have no secret (anyone can then send deliveries)")
    .option("--max-body-bytes <n>", "larger deliveries are answered 413", String(DEFAULTS.maxBodyBytes))
    .option(
      "--max-unverified-bytes <n>",
      "bytes all request bodies not yet verified may hold at once; beyond it, 503 with Retry-After",
      String(DEFAULTS.maxUnverifiedBytes),
    )
    .option(
      "--max-connections <n>",
      "open connections on --listen; more are closed at once",
      String(DEFAULTS.maxConnections),
    )
    .option(
      "--min-body-rate <bytes-per-second>",
      `a request body slower than this on average (after its first ${DEFAULTS.minBodyRateGraceMs / 1000} s) is ended`,
      String(DEFAULTS.minBodyRate),
    )
    .option(
      "--max-age <duration>",
      "how long a delivery is retried before it goes to the dead-letter store",
      DEFAULTS.maxAge.text,
    )
    .option("--retry-base <duration>", "first retry delay (doubles, with jitter)", DEFAULTS.retryBase.text)
    .option("--retry-max-delay <duration>", "longest delay between two attempts", DEFAULTS.retryMaxDelay.text)
    .option("--forward-timeout <duration>", "timeout of one forwarding request", DEFAULTS.forwardTimeout.text)
    .option("--concurrency <n>", "deliveries forwarded at once", String(DEFAULTS.concurrency))
    .option(
      "--lease <duration>",
      "how long the relay's claim on a delivery holds unless renewed (every sixth of it); a relay killed or cut off longer loses its deliveries to the others",
      DEFAULTS.lease.text,
    )
    .option(
      "--dedupe-window <duration>",
      "how long after a delivery is settled its record, and so its delivery ID, is kept to drop redeliveries",
      DEFAULTS.dedupeWindow.text,
    )
    .option(
      "--shutdown-grace <duration>",
      "on SIGTERM, how long to finish requests in progress and keep forwarding what is due",
      DEFAULTS.shutdownGrace.text,
    )
    .option("--log-level <level>", LOG_LEVELS.join(", "), DEFAULTS.logLevel)
    .action(async (flags: ServeFlags, cmd: Command) => {
      const store = storeTargetOf(cmd);
      const level = parseLogLevel(flags.logLevel, "--log-level");
      const source = receiverSource(flags);
      // Asynchronous writes: a synchronous write per line (two per delivery) costs a system call on
      // the request path. Under load, lines written while one write is in flight go out together.
      const destination = pino.destination({ dest: 1, sync: false });
      process.once("exit", () => {
        try {
          destination.flushSync();
        } catch {
          // A write still in flight has the lines; nothing more can be done while exiting.
        }
      });
      const logger = pino({ name: "sg-webhooks-relay", level }, destination);
      // A signal, or a store that stopped working, ends the relay the same way.
      let stop: (signal: string) => void = () => {};
      const stopping = new Promise<string>((resolve) => {
        stop = resolve;
      });
      const relay = await startRelay({
        listen: parseListen(flags.listen, "--listen"),
        ...(flags.adminListen !== "off"
          ? { adminListen: parseListen(flags.adminListen, "--admin-listen") }
          : {}),
        forwardTo: parseSourcegraphUrl(flags.forwardTo, "--forward-to"),
        receivers: source,
        ...(store.kind === "sqlite" ? { dataDir: store.dataDir } : { database: databaseOptions(store) }),
        allowUnsigned: flags.allowUnsigned ?? false,
        maxBodyBytes: parsePositiveInt(flags.maxBodyBytes, "--max-body-bytes"),
        maxUnverifiedBytes: parsePositiveInt(flags.maxUnverifiedBytes, "--max-unverified-bytes"),
        maxConnections: parsePositiveInt(flags.maxConnections, "--max-connections"),
        minBodyRate: parsePositiveInt(flags.minBodyRate, "--min-body-rate"),
        maxAgeMs: parseDuration(flags.maxAge, "--max-age"),
        retryBaseMs: parseDuration(flags.retryBase, "--retry-base"),
        retryMaxDelayMs: parseDuration(flags.retryMaxDelay, "--retry-max-delay"),
        forwardTimeoutMs: parseDuration(flags.forwardTimeout, "--forward-timeout"),
        concurrency: parsePositiveInt(flags.concurrency, "--concurrency"),
        leaseMs: parseLease(flags.lease),
        dedupeWindowMs: parseDuration(flags.dedupeWindow, "--dedupe-window"),
        shutdownGraceMs: parseDuration(flags.shutdownGrace, "--shutdown-grace"),
        logger,
        // Exit non-zero so the supervisor (systemd, Kubernetes) starts a relay with a working store.
        onFatal: () => {
          process.exitCode = 1;
          stop("store failure");
        },
      });
      process.once("SIGTERM", () => stop("SIGTERM"));
      process.once("SIGINT", () => stop("SIGINT"));
      process.on("SIGHUP", () => {
        relay
          .reload()
          .catch((err) =>
            logger.error(
              { err: { message: (err as Error).message } },
              "reload failed; keeping the last receivers",
            ),
          );
      });
      logger.info({ signal: await stopping }, "shutting down");
      await relay.close().catch((err) => logger.error({ err }, "shutdown failed"));
    });
}

/** At least a second: the relay renews its claims every sixth of the lease. */
function parseLease(value: string): number {
  const ms = parseDuration(value, "--lease");
  if (ms < 1000) {
    throw new Error(`--lease "${value}" must be at least 1s: the relay renews its claims every sixth of it`);
  }
  return ms;
}

function receiverSource(flags: ServeFlags): ReceiverSource {
  if (flags.receivers && flags.sourcegraphUrl) {
    throw new Error("give either --receivers FILE or --sourcegraph-url URL, not both");
  }
  if (flags.receivers) return { file: flags.receivers };
  if (flags.sourcegraphUrl) {
    const token = process.env.SRC_ACCESS_TOKEN;
    if (!token) {
      throw new Error(
        "--sourcegraph-url needs a site admin's access token in SRC_ACCESS_TOKEN (it reads the receivers' secrets)",
      );
    }
    return {
      sourcegraph: {
        url: parseSourcegraphUrl(flags.sourcegraphUrl, "--sourcegraph-url"),
        accessToken: token,
        refreshMs: parseDuration(flags.refreshInterval, "--refresh-interval"),
        rotationGraceMs: parseDuration(flags.rotationGrace, "--rotation-grace"),
      },
    };
  }
  throw new Error("give the receivers: --receivers FILE, or --sourcegraph-url URL with SRC_ACCESS_TOKEN set");
}
