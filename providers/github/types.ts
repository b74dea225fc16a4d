// The shapes of GitHub's hook and delivery API as this client returns them (camel-cased, only the
// fields doctor and redeliver read). Source: @octokit/openapi's api.github.com description
// (`hook`, `org-hook`, `hook-delivery-item`, `hook-delivery`).

export const GITHUB_COM_API = "https://api.github.com";
export const SERVICE = "GitHub";

/** Where the API is and with which token. */
export interface GitHubConnection {
  /** `https://api.github.com`, or `<url>/api/v3` for GitHub Enterprise Server (see `githubApiUrl`). */
  readonly apiUrl: string;
  readonly token: string;
  /** Where the token came from (`GITHUB_TOKEN`), for messages. */
  readonly tokenSource?: string;
  /** More values to keep out of messages. */
  readonly secrets?: ReadonlyArray<string | undefined>;
}

/** Whose hooks: an organization's, or a repository's. */
export type HookOwner =
  | { readonly kind: "organization"; readonly org: string }
  | { readonly kind: "repository"; readonly owner: string; readonly repo: string };

export interface GitHubHook {
  readonly id: number;
  readonly active: boolean;
  /** `["*"]` means every event. */
  readonly events: string[];
  /** Where it delivers; GitHub masks the secret, so it is not here. */
  readonly url: string;
  /** `json` or `form` (GitHub's default). */
  readonly contentType: string;
  /** True when GitHub does not verify the receiver's certificate (`insecure_ssl: "1"`). */
  readonly insecureSsl: boolean;
  /** The newest delivery's outcome as GitHub keeps it on the hook; null without deliveries in 30 days. */
  readonly lastResponse?: { readonly code: number | null; readonly status: string | null };
}

/** One attempt to deliver one event to one hook. */
export interface HookDelivery {
  readonly id: number;
  /** The event's ID, shared by every hook the event goes to and kept by redeliveries (`X-GitHub-Delivery`). */
  readonly guid: string;
  /** ISO 8601. */
  readonly deliveredAt: string;
  readonly redelivery: boolean;
  /** GitHub's words: `OK`, `failed to connect`, `timed out`, `Invalid HTTP Response: 400`. */
  readonly status: string;
  /** The receiver's HTTP status; 0 when there was none (no connection, timeout). */
  readonly statusCode: number;
  readonly event: string;
  readonly action: string | null;
}

/**
 * One delivery with the receiver's answer. The body is there to be matched against known refusals
 * (Sourcegraph's "Could not validate payload with secret."), never to be shown: it may echo
 * anything, and the request side (headers, payload) is left out altogether.
 */
export interface HookDeliveryDetail extends HookDelivery {
  readonly responseBody: string;
}
