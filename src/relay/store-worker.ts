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

port.on("message", (calls: readonly StoreCall[]) => {
  // Started together, so the store groups the adds of one batch into one commit.
  const pending = calls.map(async ({ seq, op, args }): Promise<StoreReply> => {
    try {
      const fn = store[op] as (...a: unknown[]) => Promise<unknown>;
      return { seq, ok: true, value: await fn.apply(store, [...args]) };
    } catch (err) {
      return { seq, ok: false, message: (err as Error).message };
    }
  });
  void Promise.all(pending).then((replies) => port.postMessage(replies satisfies WorkerMessage));
});
