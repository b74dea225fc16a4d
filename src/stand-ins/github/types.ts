// The GitHub stand-in's options and the helpers tests and the sandbox drive it with.
import type { FakeServer, NetworkOptions } from "../server";
import type { GitHubDeliveryRecord } from "./deliver";
import type { GitHubHookRecord } from "./model";

/** A token that owns every organization and administers every repository, accepted unless `tokens` replaces it. */
export const GITHUB_ADMIN_TOKEN = "fake-gh-admin-0123456789abcdef0123456789ab";

/** What a token may administer: organizations it owns, repositories it is an admin of. */
export interface GitHubGrant {
  readonly orgs?: readonly string[] | "all";
  readonly repos?: readonly string[] | "all";
}

export interface GitHubFakeOptions {
  /** "enterprise" (default): API under /api/v3, 30 s timeout, 7-day redelivery window. "dotcom": API at the root, 10 s, 3 days. */
  readonly edition?: "enterprise" | "dotcom";
  /** Tokens and what each may administer. Default: GITHUB_ADMIN_TOKEN, everything. */
  readonly tokens?: Record<string, GitHubGrant>;
  /** Organizations that exist. */
  readonly orgs?: readonly string[];
  /** Repositories that exist (`owner/name`). */
  readonly repos?: readonly string[];
  /** How long a receiver may take (default the edition's: 10 s or 30 s). */
  readonly timeoutMs?: number;
  readonly port?: number;
  /** Latency and rate limit (429 with Retry-After) of the shared plumbing (../server.ts). */
  readonly network?: NetworkOptions;
}

export interface GitHubFake extends FakeServer {
  /** The API base: `<url>/api/v3` for Enterprise Server, the URL itself for dotcom. */
  readonly apiUrl: string;
  /** How long GitHub lets a delivery be redelivered, in ms. */
  readonly redeliveryWindowMs: number;
  addOrg(org: string): void;
  addRepo(fullName: string): void;
  /** Hooks of `acme` or `acme/widgets` (all when omitted), copies with the secret in clear. */
  hooks(target?: string): GitHubHookRecord[];
  hook(id: number): GitHubHookRecord | undefined;
  /** Creates a hook as a user would in the UI (GitHub pings it, as on any creation). */
  addHook(
    target: string,
    init: {
      url: string;
      secret?: string;
      events?: string[];
      contentType?: "json" | "form";
      active?: boolean;
    },
  ): GitHubHookRecord;
  /** Changes a hook outside the API (drift), such as a secret changed by hand. */
  setHook(
    id: number,
    patch: Partial<
      Pick<GitHubHookRecord, "url" | "secret" | "events" | "active" | "contentType" | "insecureSsl">
    >,
  ): void;
  deleteHook(id: number): void;
  setToken(token: string, grant: GitHubGrant | undefined): void;
  /**
   * The event happening on GitHub: one delivery (one guid) to every active hook subscribed to it,
   * on the repository and on its organization. Resolves when every delivery is done.
   */
  emit(target: string, event: string, payload?: Record<string, unknown>): Promise<GitHubDeliveryRecord[]>;
  /** Deliveries made (of one hook, or all), oldest first; await `settled()` first. */
  deliveries(hookId?: number): GitHubDeliveryRecord[];
  /** Moves a delivery back in time, to step outside the redelivery window. */
  backdate(deliveryId: number, ms: number): void;
  /** Waits for every delivery in flight (pings, redeliveries). */
  settled(): Promise<void>;
  /** Holds every delivery (sent as soon as `releaseDeliveries()`): a test readies the receiving side first. */
  holdDeliveries(): void;
  releaseDeliveries(): void;
}
