// GitHub's hook and delivery API, for doctor and redeliver. A client only: the hooks themselves are
// @pulumi/github resources.
export {
  type DeliveryPage,
  describeOwner,
  getDelivery,
  getHook,
  githubApiUrl,
  isEnterpriseServer,
  listDeliveries,
  listHooks,
  nextLink,
  ownerPath,
  pingHook,
  redeliver,
} from "./client";
export { GitHubError, type GitHubErrorReason, PERMISSIONS } from "./errors";
export {
  GITHUB_COM_API,
  type GitHubConnection,
  type GitHubHook,
  type HookDelivery,
  type HookDeliveryDetail,
  type HookOwner,
} from "./types";
