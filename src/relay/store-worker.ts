// The thread that owns the SQLite store (see threaded-store.ts): it runs each batch of calls the
// relay's main thread sends and answers them in one message.
import { parentPort, workerData } from "node:worker_threads";
import { SqliteStore } from "./sqlite-store";
import type { DeliveryStore } from "./store";

export type StoreOp = keyof DeliveryStore;

export interface StoreCall {
  readonly seq: number;
  readonly op: StoreOp;
  readonly args: readonly unknown[];
}

export type StoreReply =
  | { readonly seq: number; readonly ok: true; readonly value: unknown }
  | { readonly seq: number; readonly ok: false; readonly message: string };

export type WorkerMessage = { readonly ready: true } | { readonly failed: string } | readonly StoreReply[];

const port = parentPort;
if (!port) throw new Error("store-worker.js runs as a worker thread of the relay");

let store: SqliteStore;
try {
  store = new SqliteStore((workerData as { dataDir: string }).dataDir);
  port.postMessage({ ready: true } satisfies WorkerMessage);
} catch (err) {
  port.postMessage({ failed: (err as Error).message } satisfies WorkerMessage);
  process.exit(0);
}

// The answers of one turn go back in one message, whichever messages their calls came in: while a
// commit (and its fsync) holds this thread, the main thread's messages queue up, and their answers
// are ready together once it ends.
let answers: StoreReply[] = [];
const answer = (reply: StoreReply): void => {
  if (answers.length === 0) {
    setImmediate(() => {
      const sent = answers;
      answers = [];
      port.postMessage(sent satisfies WorkerMessage);
    });
  }
  answers.push(reply);
};

port.on("message", (calls: readonly StoreCall[]) => {
  // Started together, so the store groups the adds of one batch into one commit.
  for (const { seq, op, args } of calls) {
    const fn = store[op] as (...a: unknown[]) => Promise<unknown>;
    let running: Promise<unknown>;
    try {
      running = Promise.resolve(fn.apply(store, [...args]));
    } catch (err) {
      running = Promise.reject(err);
    }
    running.then(
      (value) => answer({ seq, ok: true, value }),
      (err) => answer({ seq, ok: false, message: (err as Error).message }),
    );
  }
});
