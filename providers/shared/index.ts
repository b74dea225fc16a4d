// The kit every provider in providers/<api>/ is built from. The HTTP resilience layer
// (providers/http) and the event catalogue (providers/events) stay beside it: each is one concern
// that src/ uses directly too.
export { type CreateSteps, createOrAdopt } from "./ambiguous";
export { coalesce } from "./coalesce";
export { CODE_HOST_KINDS, type CodeHostKind, isCodeHostKind } from "./code-host-kind";
export {
  authorization,
  type BasicCredential,
  type Credential,
  type CredentialPolicy,
  credentialSecrets,
  env,
  type TokenCredential,
  type TokenOrBasicNames,
  tokenCredential,
  tokenOrBasic,
  withCredentials,
} from "./credentials";
export { NewerStateError, ProviderError } from "./errors";
export { checkEventList, type EventListCheck } from "./event-list";
export {
  type CheckFailure,
  type CheckResult,
  type DynamicProvider,
  dynamicProvider,
  failureList,
  type Props,
  type ProviderParts,
} from "./provider";
export { schemaVersionOf } from "./state";
export { containsUnknown, UNKNOWN } from "./unknown";
export { isHttpUrl, normalizeBaseUrl, normalizedOrAsIs } from "./url";
export { compact, isRecord, nonEmptyString, show } from "./values";
