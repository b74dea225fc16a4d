// The Bitbucket Server / Data Center webhooks of the Sourcegraph plugin, through its REST API.
export { checkInputs, normalizeInstanceUrl, scopeProblem } from "./check";
export { deleteWebhook, listWebhooks, type Session, type UpsertBody, upsertWebhook } from "./client";
export { type Credential, credentialFromConnection, credentialFromEnv } from "./credentials";
export { diffWebhook } from "./diff";
export { NotSystemAdminError } from "./errors";
export { outputsFor, outputsFromRemote, upgradeOutputs } from "./outputs";
export { provider } from "./provider";
export * from "./types";
