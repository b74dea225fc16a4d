// The `bitbucket` client sends through `request.fetch` when one is given (node-fetch v2 otherwise,
// with no retries). This adapter routes it through our `send`, so timeouts, retries honouring
// Retry-After and the per-origin limiter are ours and are the only retry layer (two stacked
// layers would multiply the attempts).
import { STATUS_CODES } from "node:http";
import { type HttpMethod, send } from "../http";

/** The part of a fetch Response that the `bitbucket` client reads (lib/index.js, `G` and `j`). */
export interface FetchLikeResponse {
  readonly status: number;
  readonly statusText: string;
  readonly url: string;
  readonly headers: Headers;
  json(): Promise<unknown>;
  text(): Promise<string>;
  arrayBuffer(): Promise<ArrayBuffer>;
}

export interface FetchInit {
  method?: string;
  headers?: Record<string, string>;
  body?: string;
}

export type FetchLike = (url: string, init?: FetchInit) => Promise<FetchLikeResponse>;

const METHODS: readonly HttpMethod[] = ["GET", "POST", "PUT", "PATCH", "DELETE"];

/**
 * A fetch over `send`. The client turns anything fetch throws into a generic `HTTPError` 500,
 * which would hide an `AmbiguousRequestError` from the create path; so the original error is kept
 * here, and `takeError()` hands it back to the caller that sees the client's rejection.
 */
export class SendTransport {
  private lastError: unknown;

  constructor(
    private readonly service: string,
    private readonly secrets: readonly string[],
  ) {}

  readonly fetch: FetchLike = async (url, init = {}) => {
    const method = (init.method ?? "GET").toUpperCase() as HttpMethod;
    if (!METHODS.includes(method)) throw new Error(`unsupported method ${method}`);
    try {
      const res = await send({
        method,
        url,
        headers: init.headers,
        body: init.body,
        service: this.service,
        secrets: this.secrets,
      });
      const headers = new Headers(res.headers);
      // The client calls `.includes` on the content type, and a 204 carries none.
      if (!headers.has("content-type")) headers.set("content-type", "text/plain; charset=utf-8");
      const body = res.body;
      return {
        status: res.status,
        statusText: STATUS_CODES[res.status] ?? "",
        url,
        headers,
        json: async () => {
          if (body === "") return undefined;
          try {
            return JSON.parse(body);
          } catch {
            return body;
          }
        },
        text: async () => body,
        arrayBuffer: async () => new TextEncoder().encode(body).buffer as ArrayBuffer,
      };
    } catch (err) {
      this.lastError = err;
      throw err;
    }
  };

  /** The error that `fetch` threw last (a ConnectionError or AmbiguousRequestError), once. */
  takeError(): unknown {
    const e = this.lastError;
    this.lastError = undefined;
    return e;
  }
}
