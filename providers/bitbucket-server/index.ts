// The Bitbucket Server / Data Center webhooks of the Sourcegraph plugin, through its REST API.
// The serialized stubs in users' state call `provider`: its name never changes.
export { check, normalizeInstanceUrl, scopeProblem } from "./check";
export { deleteWebhook, listWebhooks, type Session, type UpsertBody, upsertWebhook } from "./client";
export { credentialFromConnection, credentialFromEnv, type Target, withClient } from "./credentials";
export { diff } from "./diff";
export { BitbucketServerError, type BitbucketServerErrorReason, NotSystemAdminError } from "./errors";
export { provider } from "./provider";
export { outputsFor, outputsFromRemote, upgradeOutputs } from "./state";
export * from "./types";
