// gitbeaker's HTTP requester, replaced by one that goes through our resilience layer. gitbeaker's
// own requester retries 429/502 ten times within about 256 ms and ignores Retry-After
// (jdalrymple/gitbeaker#3805); handing it this one means `send` is the only retry layer and no
// gitbeaker rate limiter is ever built (limiters are made inside the requester it replaces).
import type { ProjectHooks } from "@gitbeaker/rest";
import { excerpt, type HttpMethod, redact, send } from "../http";
import { GitLabHttpError } from "./errors";

type RequesterFn = NonNullable<ConstructorParameters<typeof ProjectHooks>[0]["requesterFn"]>;
type ResourceOptions = Parameters<RequesterFn>[0];
type Requester = ReturnType<RequesterFn>;
type RequestOptions = NonNullable<Parameters<Requester["get"]>[1]>;

// gitbeaker sends camelCase option names through xcase; GitLab wants snake_case.
const snake = (key: string): string => key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

function query(params: Record<string, unknown> | undefined): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params ?? {})) {
    if (v !== undefined && v !== null) q.append(snake(k), String(v));
  }
  const s = q.toString();
  return s ? `?${s}` : "";
}

/** GitLab's message, redacted and bounded (a proxy's page may be long and echo the request). */
function parseGitLabMessage(
  body: string,
  secrets: ReadonlyArray<string | undefined>,
): { text: string; routeError: boolean } {
  try {
    const parsed = JSON.parse(body) as { message?: unknown; error?: unknown };
    if (parsed && typeof parsed === "object") {
      if (parsed.message !== undefined) {
        return {
          text: excerpt(
            typeof parsed.message === "string" ? parsed.message : JSON.stringify(parsed.message),
            secrets,
          ),
          routeError: false,
        };
      }
      if (typeof parsed.error === "string") return { text: excerpt(parsed.error, secrets), routeError: true };
    }
  } catch {
    // Not JSON: a proxy's page, for instance.
  }
  return { text: excerpt(body, secrets, 200), routeError: false };
}

/**
 * A gitbeaker `requesterFn` whose calls go through `send` (timeouts, backoff honouring
 * Retry-After, one limiter per origin). Non-2xx answers throw `GitLabHttpError`; a POST whose
 * outcome is unknown throws `AmbiguousRequestError` from `send`. `secrets` are redacted from errors.
 */
export function createRequester(secrets: ReadonlyArray<string | undefined>): RequesterFn {
  return (service: ResourceOptions): Requester => {
    const call = async (method: HttpMethod, endpoint: string, options: RequestOptions = {}) => {
      const headers: Record<string, string> = { accept: "application/json", ...service.headers };
      for (const [name, value] of Object.entries(service.authHeaders)) headers[name] = await value();
      if (options.sudo !== undefined) headers.sudo = String(options.sudo);
      let body: string | undefined;
      if (options.body instanceof FormData)
        throw new Error("form uploads are not supported by this requester");
      if (options.body && Object.keys(options.body).length > 0) {
        const snaked: Record<string, unknown> = {};
        for (const [k, v] of Object.entries(options.body)) snaked[snake(k)] = v;
        body = JSON.stringify(snaked);
        headers["content-type"] = "application/json";
      }
      const url = `${service.url.replace(/\/+$/, "")}/${endpoint}${query(options.searchParams)}`;
      const res = await send({ method, url, headers, body, service: "GitLab", secrets });
      if (res.status < 200 || res.status >= 300) {
        const { text, routeError } = parseGitLabMessage(res.body, secrets);
        const path = new URL(url).pathname;
        throw new GitLabHttpError(
          `GitLab answered ${res.status} to ${method} ${path}: ${text}`,
          res.status,
          url,
          redact(res.body, secrets),
          res.headers,
          method,
          text,
          routeError,
        );
      }
      const type = (res.headers["content-type"] ?? "").split(";")[0]!.trim();
      let parsed: unknown = null;
      if (res.status !== 204 && res.body !== "") {
        parsed = type === "application/json" ? JSON.parse(res.body) : res.body;
      }
      return { body: parsed, headers: res.headers, status: res.status };
    };
    // gitbeaker types each method as generic in the body type it expects; the JSON we parsed is it.
    const requester = {
      get: (endpoint: string, options?: RequestOptions) => call("GET", endpoint, options),
      post: (endpoint: string, options?: RequestOptions) => call("POST", endpoint, options),
      put: (endpoint: string, options?: RequestOptions) => call("PUT", endpoint, options),
      patch: (endpoint: string, options?: RequestOptions) => call("PATCH", endpoint, options),
      delete: (endpoint: string, options?: RequestOptions) => call("DELETE", endpoint, options),
    };
    return requester as unknown as Requester;
  };
}
