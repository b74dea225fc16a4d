// The Node HTTP adapter: routes, the body size limit, health checks, and text answers shaped like
// Go's http.Error (text/plain, message plus newline), as Sourcegraph sends them.
import type { IncomingMessage, ServerResponse } from "node:http";
import { type Answer, acceptDelivery, type ReceiveDeps, resolveReceiver } from "./receive";

export interface AdapterOptions extends ReceiveDeps {
  readonly maxBodyBytes: number;
  /** False while starting or shutting down: /readyz answers 503 and deliveries are refused. */
  readonly ready: () => boolean;
}

const PREFIX = "/.api/webhooks/";

function answer(res: ServerResponse, a: Answer, extra: Record<string, string> = {}): void {
  if (res.headersSent) return;
  if (a.status === 204) {
    res.writeHead(204, extra).end();
    return;
  }
  res.writeHead(a.status, { "content-type": "text/plain; charset=utf-8", ...extra }).end(`${a.message}\n`);
}

/**
 * An answer given before the body is read. Node reads and discards the body to keep the connection
 * alive; the body limit holds for that too, so a refused client cannot stream gigabytes through.
 * (Closing at once instead would reset the connection under the answer of an ordinary refusal.)
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
  let size = 0;
  req.on("data", (chunk: Buffer) => {
    size += chunk.length;
    if (size > o.maxBodyBytes) req.socket.destroy();
  });
  answer(res, a, tooLarge ? { ...extra, connection: "close" } : extra);
}

/** Reads the body up to `limit` bytes; undefined when it is larger (the rest is discarded). */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  const declared = Number(req.headers["content-length"]);
  if (Number.isFinite(declared) && declared > limit) return Promise.resolve(undefined);
  // Plain events rather than `for await`: the async iterator costs a promise per chunk.
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        // Nothing more is read: the 413 closes the connection.
        req.off("data", onData);
        req.pause();
        resolve(undefined);
        return;
      }
      chunks.push(chunk);
    };
    req.on("data", onData);
    req.once("end", () => resolve(size > limit ? undefined : Buffer.concat(chunks, size)));
    req.once("error", reject);
    // A client gone before the end of its body (or cut at shutdown): nothing to answer.
    req.once("close", () => {
      if (!req.complete) reject(new Error("the client closed the request before its end"));
    });
  });
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
    return answer(
      res,
      { status: 503, message: "the relay is not ready; try again later" },
      { connection: "close" },
    );
  }
  let raw = path.slice(PREFIX.length);
  try {
    raw = decodeURIComponent(raw);
  } catch {
    // Left as it came: it will not parse as a UUID either.
  }
  const resolved = resolveReceiver(o, raw);
  if ("status" in resolved) return answerUnread(o, req, res, resolved);
  const body = await readBody(req, o.maxBodyBytes);
  if (!body) {
    o.metrics.rejected.inc({ reason: "too_large" });
    // Close the connection: the rest of the body is not read.
    return answer(
      res,
      { status: 413, message: `request body larger than ${o.maxBodyBytes} bytes` },
      { connection: "close" },
    );
  }
  // Every value of a repeated header, as Go keeps them: `req.headers` joins most repeats with ", ",
  // so a second signature header would spoil the first, which is the one Sourcegraph reads.
  return answer(res, await acceptDelivery(o, resolved, req.headersDistinct, body));
}
