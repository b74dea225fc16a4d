// GitHub's REST calls on organization and repository hooks that doctor and redeliver make: list and
// read hooks, ping, list deliveries (cursor pagination through the Link header), read one delivery,
// and redeliver. Hooks themselves are created by @pulumi/github; this is a client only. Every call
// goes through the shared HTTP layer (timeouts, one limiter per origin, backoff honouring
// Retry-After). Routes: @octokit/plugin-rest-endpoint-methods docs/repos and docs/orgs.
import {
  AmbiguousRequestError,
  ConnectionError,
  excerpt,
  type HttpMethod,
  type HttpResponse,
  send,
} from "../http";
import { GitHubError, PERMISSIONS } from "./errors";
import {
  GITHUB_COM_API,
  type GitHubConnection,
  type GitHubHook,
  type HookDelivery,
  type HookDeliveryDetail,
  type HookOwner,
  SERVICE,
} from "./types";

/** The API base of a GitHub URL: github.com's API, or `<url>/api/v3` for GitHub Enterprise Server. */
export function githubApiUrl(url: string | undefined): string {
  if (url === undefined) return GITHUB_COM_API;
  const u = new URL(url);
  if (u.host === "github.com" || u.host === "www.github.com" || u.host === "api.github.com") {
    return GITHUB_COM_API;
  }
  const base = `${u.protocol}//${u.host}${u.pathname.replace(/\/+$/, "")}`;
  return base.endsWith("/api/v3") ? base : `${base}/api/v3`;
}

/** True for GitHub Enterprise Server, whose redelivery window is 7 days instead of 3. */
export function isEnterpriseServer(apiUrl: string): boolean {
  return new URL(apiUrl).origin !== GITHUB_COM_API;
}

/** `orgs/acme` or `repos/octo/hello`: the path every hook route starts with. */
export function ownerPath(owner: HookOwner): string {
  return owner.kind === "organization"
    ? `orgs/${encodeURIComponent(owner.org)}`
    : `repos/${encodeURIComponent(owner.owner)}/${encodeURIComponent(owner.repo)}`;
}

/** `organization acme` or `repository octo/hello`, for messages. */
export function describeOwner(owner: HookOwner): string {
  return owner.kind === "organization"
    ? `organization ${owner.org}`
    : `repository ${owner.owner}/${owner.repo}`;
}

function secretsOf(conn: GitHubConnection): string[] {
  return [conn.token, ...(conn.secrets ?? [])].filter((s): s is string => typeof s === "string" && s !== "");
}

/**
 * The next page's URL from a Link header (RFC 8288), followed only on the API's own origin: the
 * token goes with it.
 */
export function nextLink(link: string | undefined, apiUrl: string): string | undefined {
  if (!link) return undefined;
  for (const part of link.split(",")) {
    const m = /^\s*<([^>]+)>\s*;(.*)$/.exec(part);
    if (!m || !/\brel\s*=\s*"?next"?/i.test(m[2]!)) continue;
    try {
      const next = new URL(m[1]!, apiUrl);
      return next.origin === new URL(apiUrl).origin ? next.href : undefined;
    } catch {
      return undefined;
    }
  }
  return undefined;
}

async function call(
  conn: GitHubConnection,
  method: HttpMethod,
  pathOrUrl: string,
  what: string,
  options: { body?: unknown; idempotent?: boolean } = {},
): Promise<HttpResponse> {
  const url = /^https?:\/\//.test(pathOrUrl) ? pathOrUrl : `${conn.apiUrl.replace(/\/+$/, "")}/${pathOrUrl}`;
  const headers: Record<string, string> = {
    authorization: `Bearer ${conn.token}`,
    accept: "application/vnd.github+json",
    "x-github-api-version": "2022-11-28",
    "user-agent": "pulumi-sourcegraph-webhooks",
  };
  if (options.body !== undefined) headers["content-type"] = "application/json";
  try {
    return await send({
      method,
      url,
      headers,
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
      idempotent: options.idempotent,
      secrets: secretsOf(conn),
      service: SERVICE,
    });
  } catch (err) {
    if (err instanceof ConnectionError) {
      throw new GitHubError(
        `Cannot reach GitHub at ${conn.apiUrl} while ${what}: ${err.message} (for GitHub Enterprise Server the connection's url is the server's URL, and the API is <url>/api/v3)`,
        "unreachable",
        undefined,
        { cause: err },
      );
    }
    if (err instanceof AmbiguousRequestError) {
      throw new GitHubError(`${err.message} (while ${what})`, "ambiguous", undefined, { cause: err });
    }
    throw err;
  }
}

/** GitHub's error message (`{"message": "Not Found", ...}`), redacted and short. */
function said(conn: GitHubConnection, res: HttpResponse): string {
  try {
    const parsed = JSON.parse(res.body) as { message?: unknown };
    if (typeof parsed?.message === "string") return excerpt(parsed.message, secretsOf(conn), 200);
  } catch {
    // A proxy's page.
  }
  return excerpt(res.body, secretsOf(conn), 200);
}

/** Turns an answer outside 2xx into an error that names the fix. */
function failure(conn: GitHubConnection, res: HttpResponse, owner: HookOwner, what: string): GitHubError {
  const where = `GitHub at ${conn.apiUrl} answered ${res.status} while ${what}`;
  const text = said(conn, res);
  const detail = text ? ` ("${text}")` : "";
  const source = conn.tokenSource ?? "GITHUB_TOKEN";
  const needs = PERMISSIONS[owner.kind];
  switch (res.status) {
    case 401:
      return new GitHubError(
        `${where}${detail}: the token from ${source} is invalid or expired; set GITHUB_TOKEN (${needs})`,
        "unauthorized",
        401,
      );
    case 403:
    case 429:
      if (res.status === 429 || res.headers["x-ratelimit-remaining"] === "0") {
        const reset = Number(res.headers["x-ratelimit-reset"]);
        const when =
          Number.isFinite(reset) && reset > 0 ? `; it resets at ${new Date(reset * 1000).toISOString()}` : "";
        return new GitHubError(
          `${where}${detail}: the rate limit is spent${when}; try again later`,
          "rateLimited",
          res.status,
        );
      }
      return new GitHubError(`${where}${detail}: ${needs}`, "forbidden", 403);
    case 404:
      return new GitHubError(
        `${where}${detail}: ${describeOwner(owner)} or the hook does not exist, or the token cannot see it (GitHub answers 404 without access; ${needs})`,
        "notFound",
        404,
      );
    case 400:
    case 422:
      return new GitHubError(`${where}${detail}`, "rejected", res.status);
    default:
      return new GitHubError(`${where}${detail}`, "http", res.status);
  }
}

function parseJson(conn: GitHubConnection, res: HttpResponse, what: string): unknown {
  try {
    return JSON.parse(res.body);
  } catch {
    throw new GitHubError(
      `GitHub at ${conn.apiUrl} answered ${what} with something that is not JSON; is the API URL right (${conn.apiUrl})?`,
      "http",
      res.status,
    );
  }
}

function toHook(raw: unknown): GitHubHook {
  const h = (raw ?? {}) as Record<string, unknown>;
  const config = (h.config ?? {}) as Record<string, unknown>;
  const last = h.last_response as { code?: unknown; status?: unknown } | null | undefined;
  return {
    id: Number(h.id),
    active: h.active !== false,
    events: Array.isArray(h.events) ? h.events.map(String) : [],
    url: typeof config.url === "string" ? config.url : "",
    contentType: typeof config.content_type === "string" ? config.content_type : "form",
    insecureSsl: String(config.insecure_ssl ?? "0") === "1",
    ...(last && typeof last === "object"
      ? {
          lastResponse: {
            code: typeof last.code === "number" ? last.code : null,
            status: typeof last.status === "string" ? last.status : null,
          },
        }
      : {}),
  };
}

function toDelivery(raw: unknown): HookDelivery {
  const d = (raw ?? {}) as Record<string, unknown>;
  return {
    id: Number(d.id),
    guid: String(d.guid ?? ""),
    deliveredAt: String(d.delivered_at ?? ""),
    redelivery: d.redelivery === true,
    status: String(d.status ?? ""),
    statusCode: typeof d.status_code === "number" ? d.status_code : 0,
    event: String(d.event ?? ""),
    action: typeof d.action === "string" ? d.action : null,
  };
}

const MAX_PAGES = 100;

/** Every hook of an organization or repository. */
export async function listHooks(conn: GitHubConnection, owner: HookOwner): Promise<GitHubHook[]> {
  const what = `listing the hooks of ${describeOwner(owner)}`;
  const out: GitHubHook[] = [];
  let url: string | undefined = `${ownerPath(owner)}/hooks?per_page=100`;
  for (let page = 0; url && page < MAX_PAGES; page++) {
    const res = await call(conn, "GET", url, what);
    if (res.status !== 200) throw failure(conn, res, owner, what);
    const parsed = parseJson(conn, res, what);
    if (!Array.isArray(parsed)) throw new GitHubError(`GitHub answered ${what} without a list`, "http", 200);
    out.push(...parsed.map(toHook));
    url = nextLink(res.headers.link, conn.apiUrl);
  }
  return out;
}

/** One hook, or undefined when it does not exist (any more). */
export async function getHook(
  conn: GitHubConnection,
  owner: HookOwner,
  hookId: number,
): Promise<GitHubHook | undefined> {
  const what = `reading hook ${hookId} of ${describeOwner(owner)}`;
  const res = await call(conn, "GET", `${ownerPath(owner)}/hooks/${hookId}`, what);
  if (res.status === 404) return undefined;
  if (res.status !== 200) throw failure(conn, res, owner, what);
  return toHook(parseJson(conn, res, what));
}

/**
 * Asks GitHub to send the hook a `ping` event. GitHub answers 204 without the delivery's ID: the
 * delivery is found afterwards in `listDeliveries`. Sending a second ping is harmless, so a
 * dropped connection may be retried.
 */
export async function pingHook(conn: GitHubConnection, owner: HookOwner, hookId: number): Promise<void> {
  const what = `pinging hook ${hookId} of ${describeOwner(owner)}`;
  const res = await call(conn, "POST", `${ownerPath(owner)}/hooks/${hookId}/pings`, what, {
    idempotent: true,
  });
  if (res.status < 200 || res.status >= 300) throw failure(conn, res, owner, what);
}

export interface DeliveryPage {
  readonly deliveries: HookDelivery[];
  /** Whether GitHub has older deliveries than those returned. */
  readonly more: boolean;
}

/**
 * The hook's deliveries, newest first, following the `Link` header's cursor until one is older
 * than `since` (epoch ms) or `limit` are read.
 */
export async function listDeliveries(
  conn: GitHubConnection,
  owner: HookOwner,
  hookId: number,
  options: { since?: number; limit?: number; perPage?: number } = {},
): Promise<DeliveryPage> {
  const what = `listing the deliveries of hook ${hookId} of ${describeOwner(owner)}`;
  const limit = options.limit ?? 10_000;
  const out: HookDelivery[] = [];
  let url: string | undefined =
    `${ownerPath(owner)}/hooks/${hookId}/deliveries?per_page=${options.perPage ?? 100}`;
  for (let page = 0; url && page < MAX_PAGES; page++) {
    const res = await call(conn, "GET", url, what);
    if (res.status !== 200) throw failure(conn, res, owner, what);
    const parsed = parseJson(conn, res, what);
    if (!Array.isArray(parsed)) throw new GitHubError(`GitHub answered ${what} without a list`, "http", 200);
    for (const raw of parsed) {
      const d = toDelivery(raw);
      if (options.since !== undefined && Date.parse(d.deliveredAt) < options.since) {
        return { deliveries: out, more: true };
      }
      out.push(d);
      if (out.length >= limit) return { deliveries: out, more: true };
    }
    url = nextLink(res.headers.link, conn.apiUrl);
  }
  return { deliveries: out, more: url !== undefined };
}

/** One delivery with the receiver's answer, or undefined when GitHub no longer has it. */
export async function getDelivery(
  conn: GitHubConnection,
  owner: HookOwner,
  hookId: number,
  deliveryId: number,
): Promise<HookDeliveryDetail | undefined> {
  const what = `reading delivery ${deliveryId} of hook ${hookId} of ${describeOwner(owner)}`;
  const res = await call(conn, "GET", `${ownerPath(owner)}/hooks/${hookId}/deliveries/${deliveryId}`, what);
  if (res.status === 404) return undefined;
  if (res.status !== 200) throw failure(conn, res, owner, what);
  const raw = parseJson(conn, res, what) as { response?: { payload?: unknown } };
  const payload = raw?.response?.payload;
  return {
    ...toDelivery(raw),
    responseBody: typeof payload === "string" ? payload : payload == null ? "" : JSON.stringify(payload),
  };
}

/**
 * Asks GitHub to deliver a delivery's event again (a new attempt with the same `guid`). Not
 * replayed after a failure that may have reached GitHub: the error says it may have been sent.
 */
export async function redeliver(
  conn: GitHubConnection,
  owner: HookOwner,
  hookId: number,
  deliveryId: number,
): Promise<void> {
  const what = `redelivering delivery ${deliveryId} of hook ${hookId} of ${describeOwner(owner)}`;
  const res = await call(
    conn,
    "POST",
    `${ownerPath(owner)}/hooks/${hookId}/deliveries/${deliveryId}/attempts`,
    what,
    {
      idempotent: false,
    },
  );
  if (res.status < 200 || res.status >= 300) throw failure(conn, res, owner, what);
}
