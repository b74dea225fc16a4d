// Sourcegraph incoming-webhook receivers: the dynamic provider of SourcegraphReceiver, and the
// GraphQL client (the ingest relay reads receivers through it too).
export { checkInputs, MESSAGES } from "./check";
export {
  createReceiver,
  deleteReceiver,
  getReceiver,
  graphql,
  listReceivers,
  type NewReceiver,
  OPERATIONS,
  type ReceiverPatch,
  type SourcegraphConnection,
  updateReceiver,
} from "./client";
export { diffReceiver } from "./diff";
export { isRefused, SourcegraphError, type SourcegraphErrorKind } from "./errors";
export { provider } from "./provider";
export { generateSecret } from "./secret";
export { toOutputs, upgradeOutputs } from "./state";
export {
  CODE_HOST_KINDS,
  type CodeHostKind,
  type Receiver,
  type ReceiverInputs,
  type ReceiverOutputs,
  SCHEMA_VERSION,
} from "./types";
export { isHttpUrl, normalizeEndpoint, normalizeUrn, sameUrn } from "./urn";
