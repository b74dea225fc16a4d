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
