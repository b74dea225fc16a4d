// Reading a request body within the relay's bounds: the body size limit, the budget of bytes held
// unverified, and the minimum rate. Plain events rather than `for await`: the async iterator costs
// a promise per chunk.
import type { IncomingMessage } from "node:http";
import type { BodyRateWatch, WatchedBody } from "./body-rate";
import type { ByteBudget } from "./byte-budget";

/** Why a body was not read to its end; the same words are the metric's reasons. */
export type BodyRefusal = "too_large" | "unverified_budget" | "slow_body";

export interface BodyBounds {
  readonly maxBodyBytes: number;
  readonly bodyRate: BodyRateWatch;
}

/**
 * The whole body, or why it was not read: larger than `maxBodyBytes` (the caller refuses a declared
 * length above it before it calls this), beyond `budget` (when given:
 * the body is not verified yet), or slower than the rate watch allows. After a refusal nothing more
 * is read and nothing stays taken from the budget; the caller answers with `connection: close`.
 * A body that is returned keeps its bytes taken from `budget`: the caller gives them back once it
 * has checked the signature. With `shared`, the body is in shared memory (see ownCopy).
 */
export function readBody(
  req: IncomingMessage,
  bounds: BodyBounds,
  budget: ByteBudget | undefined,
  shared = false,
): Promise<Buffer | BodyRefusal> {
  const limit = bounds.maxBodyBytes;
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let settled = false;
    const stop = (): void => {
      settled = true;
      bounds.bodyRate.forget(watched);
      req.off("data", onData);
    };
    const refuse = (why: BodyRefusal): void => {
      stop();
      req.pause();
      budget?.give(watched.received);
      chunks.length = 0;
      resolve(why);
    };
    const watched: WatchedBody = {
      startedAt: Date.now(),
      received: 0,
      onSlow: () => refuse("slow_body"),
      socket: req.socket,
    };
    const onData = (chunk: Buffer): void => {
      if (watched.received + chunk.length > limit) {
        refuse("too_large");
        return;
      }
      if (budget && !budget.take(chunk.length)) {
        refuse("unverified_budget");
        return;
      }
      watched.received += chunk.length;
      chunks.push(chunk);
    };
    bounds.bodyRate.watch(watched);
    req.on("data", onData);
    req.once("end", () => {
      if (settled) return;
      stop();
      resolve(ownCopy(chunks, watched.received, shared));
    });
    const fail = (err: Error): void => {
      if (settled) return;
      stop();
      budget?.give(watched.received);
      reject(err);
    };
    req.once("error", fail);
    // A client gone before the end of its body (or cut at shutdown): nothing to answer.
    req.once("close", () => {
      if (!req.complete) fail(new Error("the client closed the request before its end"));
    });
  });
}

/**
 * The body in memory of its own: a chunk may be a slice of a larger buffer that a queued delivery
 * would otherwise keep alive. `shared` when the store runs on a thread of its own: handing a
 * body in shared memory to that thread copies nothing (a structured clone copies an ordinary
 * buffer's bytes), which saves more than allocating it costs over an ordinary buffer (about 3 us
 * for 21 KB); nothing writes to a body once it is read.
 */
function ownCopy(chunks: readonly Buffer[], length: number, shared: boolean): Buffer {
  if (!shared) return Buffer.concat(chunks, length);
  const body = Buffer.from(new SharedArrayBuffer(length));
  let at = 0;
  for (const chunk of chunks) at += chunk.copy(body, at);
  return body;
}

/**
 * Reads and drops the body of a request answered without it, so the connection can serve the next
 * request. The body limit and the rate hold here too: a refused client cannot stream gigabytes
 * through, nor hold the connection by trickling. `onSlow` is told when the rate ended it.
 */
export function discardBody(req: IncomingMessage, bounds: BodyBounds, onSlow: () => void): void {
  const watched: WatchedBody = {
    startedAt: Date.now(),
    received: 0,
    onSlow: () => {
      onSlow();
      req.socket.destroy();
    },
    socket: req.socket,
  };
  bounds.bodyRate.watch(watched);
  const forget = (): void => bounds.bodyRate.forget(watched);
  req.on("data", (chunk: Buffer) => {
    watched.received += chunk.length;
    if (watched.received > bounds.maxBodyBytes) req.socket.destroy();
  });
  req.once("end", forget);
  req.once("close", forget);
}
