import { header } from "./headers";
import type { CodeHostKind, DeliveryHeaders } from "./types";

/**
 * The header a code host keeps the same when it delivers an event again, so a redelivery can be
 * dropped: GitHub `X-GitHub-Delivery`, GitLab `Idempotency-Key`, Bitbucket Cloud `X-Request-UUID`.
 * The Sourcegraph Bitbucket Server plugin sends none (it only retries failures).
 */
export const DELIVERY_ID_HEADER: Readonly<Record<CodeHostKind, string | undefined>> = {
  GITHUB: "x-github-delivery",
  GITLAB: "idempotency-key",
  BITBUCKETCLOUD: "x-request-uuid",
  BITBUCKETSERVER: undefined,
};

export function deliveryId(kind: CodeHostKind, headers: DeliveryHeaders): string | undefined {
  const name = DELIVERY_ID_HEADER[kind];
  if (!name) return undefined;
  const value = header(headers, name).trim();
  // A bounded key: a hostile sender must not fill the store with megabyte-long IDs.
  return value === "" || value.length > 200 ? undefined : value;
}

/**
 * The header that names the hook a delivery came from, where the delivery ID names the event:
 * GitHub sends the same `X-GitHub-Delivery` to every hook subscribed to an event (github/docs#32822),
 * so without the hook two hooks' deliveries of one event would look like one redelivered.
 */
export const HOOK_ID_HEADER: Readonly<Record<CodeHostKind, string | undefined>> = {
  GITHUB: "x-github-hook-id",
  GITLAB: undefined,
  BITBUCKETCLOUD: undefined,
  BITBUCKETSERVER: undefined,
};

export function hookId(kind: CodeHostKind, headers: DeliveryHeaders): string | undefined {
  const name = HOOK_ID_HEADER[kind];
  if (!name) return undefined;
  const value = header(headers, name).trim();
  // GitHub's hook IDs are integers; anything else does not name a hook.
  return /^[0-9]{1,20}$/.test(value) ? value : undefined;
}
