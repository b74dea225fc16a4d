// Sourcegraph incoming-webhook receivers: the dynamic provider of SourcegraphReceiver, and the
// GraphQL client (the ingest relay reads receivers through it too). `provider` is called by the
// serialized stubs in users' state: its name never changes.
export { check, MESSAGES } from "./check";
export {
  type CodeHostConnection,
  createReceiver,
  deleteReceiver,
  getReceiver,
  graphql,
  type LoggedDelivery,
  listCodeHostConnections,
  listReceivers,
  listWebhookLogs,
  type NewReceiver,
  OPERATIONS,
  type ReceiverPatch,
  type SourcegraphConnection,
  updateReceiver,
} from "./client";
export { endpointForCreate, type Target, withClient } from "./credentials";
export { diff } from "./diff";
export { isRefused, SourcegraphError, type SourcegraphErrorReason } from "./errors";
export { configUrl, stripJsonc } from "./jsonc";
export { provider } from "./provider";
export { generateSecret } from "./secret";
export { toOutputs, upgradeOutputs } from "./state";
export {
  CODE_HOST_KINDS,
  type CodeHostKind,
  type Inputs,
  type Outputs,
  type Receiver,
  SCHEMA_VERSION,
} from "./types";
export { normalizeUrn, sameUrn } from "./urn";
