// The Node HTTP adapter: routes, the bounds on what an unverified request may hold (body size, the
// unverified byte budget, the body rate), health checks, and text answers shaped like Go's
// http.Error (text/plain, message plus newline), as Sourcegraph sends them.
import type { IncomingMessage, ServerResponse } from "node:http";
import type { ByteBudget } from "./byte-budget";
import { BUDGET_RETRY_AFTER_SECONDS } from "./intake-limits";
import { type BodyBounds, type BodyRefusal, discardBody, readBody } from "./read-body";
import { type Answer, acceptDelivery, checkHeaders, type ReceiveDeps, resolveReceiver } from "./receive";

export interface AdapterOptions extends ReceiveDeps, BodyBounds {
  /** Bytes held by bodies not yet verified, shared by every request. */
  readonly unverifiedBudget: ByteBudget;
  /** False while starting or shutting down: /readyz answers 503 and deliveries are refused. */
  readonly ready: () => boolean;
  /** Read bodies into shared memory: the store runs on a thread of its own, which then copies none. */
  readonly sharedBodies?: boolean;
}

const PREFIX = "/.api/webhooks/";
const CLOSE = { connection: "close" } as const;

function answer(res: ServerResponse, a: Answer, extra: Record<string, string> = {}): void {
  if (res.headersSent) return;
  if (a.status === 204) {
    res.writeHead(204, extra).end();
    return;
  }
  // No text, no body (Sourcegraph's answer to a ping); otherwise Go's http.Error. A length rather
  // than chunks: writeHead with headers fixes them before end() could add it.
  if (a.message === "") {
    res.writeHead(a.status, { "content-length": "0", ...extra }).end();
    return;
  }
  const text = `${a.message}\n`;
  res
    .writeHead(a.status, {
      "content-type": "text/plain; charset=utf-8",
      "content-length": String(Buffer.byteLength(text)),
      ...extra,
    })
    .end(text);
}

/**
 * An answer given before the body is read; the body is read and dropped to keep the connection
 * alive, within the body limit and the rate. (Closing at once instead would reset the connection
 * under the answer of an ordinary refusal.)
 */
function answerUnread(
  o: AdapterOptions,
  req: IncomingMessage,
  res: ServerResponse,
  a: Answer,
  extra: Record<string, string> = {},
): void {
  const declared = Number(req.headers["content-length"]);
  const tooLarge = Number.isFinite(declared) && declared > o.maxBodyBytes;
  discardBody(req, o, () => o.metrics.rejected.inc({ reason: "slow_body" }));
  answer(res, a, tooLarge ? { ...extra, ...CLOSE } : extra);
}

/** The answer to a body that was not read to its end; the connection closes (the rest is not read). */
function answerRefusedBody(o: AdapterOptions, res: ServerResponse, why: BodyRefusal): void {
  o.metrics.rejected.inc({ reason: why });
  if (why === "too_large") {
    answer(res, { status: 413, message: `request body larger than ${o.maxBodyBytes} bytes` }, CLOSE);
  } else if (why === "unverified_budget") {
    o.logger.debug({ held: o.unverifiedBudget.held }, "unverified byte budget full");
    answer(
      res,
      { status: 503, message: "the relay holds too many unverified request bodies; try again later" },
      { ...CLOSE, "retry-after": String(BUDGET_RETRY_AFTER_SECONDS) },
    );
  } else {
    o.logger.debug("request body too slow");
    const rate = o.bodyRate.bytesPerSecond;
    answer(res, { status: 408, message: `request body arrived slower than ${rate} bytes per second` }, CLOSE);
  }
}

export function createNodeHandler(o: AdapterOptions): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    handle(o, req, res).catch((err) => {
      o.logger.error({ err }, "request failed");
      answer(res, { status: 500, message: "internal error" });
    });
  };
}

async function handle(o: AdapterOptions, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const path = (req.url ?? "/").split("?")[0]!;
  if (path === "/healthz") return answer(res, { status: 200, message: "ok" });
  if (path === "/readyz") {
    return answer(res, o.ready() ? { status: 200, message: "ready" } : { status: 503, message: "not ready" });
  }
  if (!path.startsWith(PREFIX) && path !== "/.api/webhooks") {
    return answerUnread(o, req, res, { status: 404, message: "404 page not found" });
  }
  if (req.method !== "POST") {
    return answerUnread(o, req, res, { status: 405, message: "Method Not Allowed" }, { allow: "POST" });
  }
  if (!o.ready()) {
    o.metrics.rejected.inc({ reason: "not_ready" });
    return answer(res, { status: 503, message: "the relay is not ready; try again later" }, CLOSE);
  }
  let raw = path.slice(PREFIX.length);
  try {
    raw = decodeURIComponent(raw);
  } catch {
    // Left as it came: it will not parse as a UUID either.
  }
  const receiver = resolveReceiver(o, raw);
  if ("status" in receiver) return answerUnread(o, req, res, receiver);
  const declared = Number(req.headers["content-length"]);
  if (declared > o.maxBodyBytes) return answerRefusedBody(o, res, "too_large");
  // Every value of a repeated header, as Go keeps them: `req.headers` joins most repeats with ", ".
  const headers = req.headersDistinct;
  const checked = checkHeaders(o, receiver, headers);
  if (typeof checked !== "string") return answerUnread(o, req, res, checked);
  // A GitLab token that matched vouches for the body; any other body is unverified until its
  // signature is checked, and shares the budget (a receiver without a secret: until it is stored).
  const budget = checked === "sender_verified" ? undefined : o.unverifiedBudget;
  const body = await readBody(req, o, budget, o.sharedBodies);
  if (typeof body === "string") return answerRefusedBody(o, res, body);
  const accepted = acceptDelivery(o, receiver, headers, body);
  // acceptDelivery has verified (or refused) the body before returning its promise.
  budget?.give(body.length);
  return answer(res, await accepted);
}
