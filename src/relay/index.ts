// The ingest relay behind `sg-webhooks serve`: verify like Sourcegraph, store durably, forward.
export { classify, type Outcome } from "./classify";
export { type DefaultDuration, RELAY_DEFAULTS, type RelayDefaults } from "./defaults";
export { Forwarder, type ForwarderOptions } from "./forwarder";
export { type Relay, type RelayOptions, startRelay } from "./lifecycle";
export { createMetrics, type RelayMetrics } from "./metrics";
export { createNodeHandler } from "./node-adapter";
export { parseDuration, parseHttpUrl, parseListen, parsePositiveInt } from "./options";
export { type Answer, acceptDelivery, resolveReceiver } from "./receive";
export { type ReceiverLoader, type ReceiverSource, receiverLoader } from "./receiver-sources";
export { checkSigned, loadReceiversFile, ReceiverRegistry } from "./receivers";
export {
  formatReceiversFile,
  parseReceivers,
  RECEIVERS_FILE_SHAPE,
  type RelayReceiver,
  receiversFileSchema,
} from "./receivers-file";
export { fetchReceivers, RotationMemory } from "./sourcegraph-receivers";
export { DATABASE_FILE, SqliteStore } from "./sqlite-store";
export type { DeadDelivery, DeliveryStore, NewDelivery, StoredDelivery } from "./store";
export { ThreadedStore } from "./threaded-store";
