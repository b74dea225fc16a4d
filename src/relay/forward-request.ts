// One forwarding attempt: a delivery's bytes POSTed to Sourcegraph's receiver URL, and what came
// back, as little of it as the forwarder needs. Sent through the forwarder's pool with undici's own
// timeouts (its shared timer wheel) rather than an AbortSignal per request, whose timer and
// bookkeeping cost more than the rest of the attempt's JavaScript; stopping the pool aborts what is
// in flight.
import type { IncomingHttpHeaders } from "node:http";
import type { Dispatcher } from "undici";
import { retryAfterMs } from "../../providers/http";

/** The most of Sourcegraph's answer read into memory: enough to classify it and to redact it whole. */
export const ANSWER_CHARS = 4096;

export interface Attempt {
  /** Sourcegraph's status; absent when it never answered (connection error, timeout). */
  readonly status?: number;
  /** The start of its answer's text. */
  readonly text: string;
  /** How long its `Retry-After` (or `RateLimit-Reset`) asks to wait, in ms. */
  readonly retryAfterMs?: number;
  /** Why there was no answer: a timeout, or the network error's code. */
  readonly error?: string;
}

const TIMEOUTS = new Set(["UND_ERR_HEADERS_TIMEOUT", "UND_ERR_BODY_TIMEOUT"]);

export class SourcegraphReceiverUrl {
  readonly #origin: string;
  /** Sourcegraph's base path (empty at the root), before `/.api/webhooks/<uuid>`. */
  readonly #prefix: string;

  constructor(
    forwardTo: string,
    private readonly dispatcher: Dispatcher,
    private readonly timeoutMs: number,
  ) {
    const url = new URL(forwardTo);
    this.#origin = url.origin;
    this.#prefix = url.pathname.replace(/\/+$/, "");
  }

  /** Sends `body` to receiver `uuid` with `headers`; never rejects. */
  async send(uuid: string, headers: Readonly<Record<string, string>>, body: Uint8Array): Promise<Attempt> {
    try {
      const res = await this.dispatcher.request({
        origin: this.#origin,
        path: `${this.#prefix}/.api/webhooks/${uuid}`,
        method: "POST",
        headers,
        body,
        // Until Sourcegraph's status line and headers, then between parts of its answer.
        headersTimeout: this.timeoutMs,
        bodyTimeout: this.timeoutMs,
      });
      // Only Sourcegraph's short messages matter; never keep a long body. More than is stored is
      // kept until it is redacted, so that a secret echoed across the cut is still recognised.
      const text = (await res.body.text()).slice(0, ANSWER_CHARS);
      const wait = waitAsked(res.headers);
      return wait === undefined
        ? { status: res.statusCode, text }
        : { status: res.statusCode, text, retryAfterMs: wait };
    } catch (err) {
      const e = err as { code?: string; name?: string; cause?: { code?: string } };
      const code = e.code ?? e.cause?.code;
      if (code !== undefined && TIMEOUTS.has(code))
        return { text: "", error: `timed out after ${this.timeoutMs} ms` };
      return { text: "", error: code ?? e.name ?? "network error" };
    }
  }
}

/** The wait an answer asks for, read only when it names one. */
function waitAsked(headers: IncomingHttpHeaders): number | undefined {
  const retryAfter = headers["retry-after"];
  const reset = headers["ratelimit-reset"];
  if (typeof retryAfter !== "string" && typeof reset !== "string") return undefined;
  return retryAfterMs({
    ...(typeof retryAfter === "string" ? { "retry-after": retryAfter } : {}),
    ...(typeof reset === "string" ? { "ratelimit-reset": reset } : {}),
  });
}
