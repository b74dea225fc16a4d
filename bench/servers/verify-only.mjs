// Ours, verify only: the relay's own request path (routing, the UUID, the bounds, verifyDelivery, the
// event check, logging, metrics) with a store that keeps nothing, so the figure isolates the cost of
// durability and forwarding from the cost of verifying. Not a mode users can run.
import { join } from "node:path";

const root = join(import.meta.dirname, "../..");
const { startRelay } = await import(join(root, "dist/src/relay/index.js"));
const { default: pino } = await import("pino");

let id = 0;
/**
 * Acknowledges every delivery at once, unclaimed (so nothing is handed to the forwarder), and never
 * has anything to claim, renew, settle or sweep.
 */
const forgetfulStore = {
  add: async () => ({ id: ++id, duplicate: false, revived: false }),
  claim: async () => [],
  heartbeat: async () => [],
  release: async () => {},
  complete: async () => false,
  retryLater: async () => false,
  deadLetter: async () => false,
  sweep: async () => 0,
  nextDueAt: async () => undefined,
  counts: async () => ({ pending: 0, dead: 0 }),
  listDead: async () => [],
  replay: async () => 0,
  purgeDead: async () => [],
  records: async () => [],
  prune: async () => {},
  close: async () => {},
};

const relay = await startRelay({
  listen: { host: "127.0.0.1", port: 0 },
  forwardTo: "http://127.0.0.1:9",
  receivers: {
    list: [{ uuid: process.env.BENCH_UUID, codeHostKind: "GITHUB", secrets: [process.env.BENCH_SECRET] }],
  },
  store: forgetfulStore,
  // As `sg-webhooks serve` logs: a line per delivery, written asynchronously.
  logger: pino({ name: "sg-webhooks-relay" }, pino.destination({ dest: 1, sync: false })),
});
// Nothing is forwarded: the deliveries were never kept.
await relay.forwarder.stop();
process.on("SIGTERM", () => relay.close().then(() => process.exit(0)));
console.log(`PORT ${new URL(relay.url).port}`);
