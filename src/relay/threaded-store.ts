// The SQLite store on a thread of its own. better-sqlite3 is synchronous: on the main thread every
// commit (the writes and the fsync of synchronous=FULL) and every checkpoint stopped all requests,
// which set the relay's tail latency, and the storage work could not use a second core. Here the
// main thread only verifies and answers; the calls of one turn of its event loop travel to the
// worker in one message, and their answers come back in one.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { Worker } from "node:worker_threads";
import { packageRoot } from "../package-root";
import type {
  AddResult,
  AttemptResult,
  ClaimedDelivery,
  ClaimRef,
  DeadDelivery,
  DeadFilter,
  DeadSummary,
  DeliveryRecord,
  DeliveryStore,
  Lease,
  NewDelivery,
  RecordFilter,
  Retarget,
} from "./store";
import type { StoreCall, StoreOp, StoreReply, WorkerMessage } from "./store-worker";

/**
 * The thread always runs the build's store-worker.js. Node 20 cannot start a thread on TypeScript,
 * so when this module itself runs as TypeScript (under the test runner, which builds dist/ first)
 * the thread still needs the compiled file; located from the package root, the one path serves the
 * source in src/relay and the build in dist/src/relay (where it is the file beside this one).
 */
function workerScript(): string {
  const script = join(packageRoot(__dirname), "dist", "src", "relay", "store-worker.js");
  if (!existsSync(script)) {
    throw new Error(
      `the relay's store runs ${script}, which does not exist: build the package first (npm run build)`,
    );
  }
  return script;
}

interface Waiting {
  resolve: (value: unknown) => void;
  reject: (err: Error) => void;
}

export class ThreadedStore implements DeliveryStore {
  private seq = 0;
  private outbox: StoreCall[] = [];
  private readonly waiting = new Map<number, Waiting>();
  private broken: Error | undefined;
  private closed: Promise<void> | undefined;
  private readonly failureListeners: Array<(err: Error) => void> = [];

  private constructor(private readonly worker: Worker) {
    worker.on("message", (msg: WorkerMessage) => {
      if (!Array.isArray(msg)) return;
      for (const r of msg as readonly StoreReply[]) {
        const w = this.waiting.get(r.seq);
        this.waiting.delete(r.seq);
        if (r.ok) w?.resolve(r.value);
        else w?.reject(new Error(r.message));
      }
    });
    const fail = (err: Error) => {
      const first = this.broken === undefined && this.closed === undefined;
      this.broken ??= err;
      for (const w of this.waiting.values()) w.reject(this.broken);
      this.waiting.clear();
      if (first) for (const l of this.failureListeners) l(this.broken);
    };
    worker.on("error", fail);
    worker.on("exit", (code) => fail(new Error(`the store's thread stopped (exit code ${code})`)));
  }

  /** Opens the store in `dataDir` on a new thread; rejects with the store's own error (a newer schema...). */
  static open(dataDir: string): Promise<ThreadedStore> {
    const worker = new Worker(workerScript(), { workerData: { dataDir } });
    return new Promise((resolve, reject) => {
      const onMessage = (msg: WorkerMessage) => {
        if ("ready" in msg) {
          worker.off("error", reject);
          resolve(new ThreadedStore(worker));
        } else if ("failed" in msg) {
          worker.off("error", reject);
          reject(new Error(msg.failed));
        }
      };
      worker.once("message", onMessage);
      worker.once("error", reject);
    });
  }

  /** Called once if the thread stops before close(): from then on every call is refused. */
  onFailure(listener: (err: Error) => void): void {
    this.failureListeners.push(listener);
  }

  private call<T>(op: StoreOp, ...args: unknown[]): Promise<T> {
    if (this.broken) return Promise.reject(this.broken);
    const seq = ++this.seq;
    if (this.outbox.length === 0) setImmediate(() => this.send());
    this.outbox.push({ seq, op, args });
    return new Promise<T>((resolve, reject) => {
      this.waiting.set(seq, { resolve: resolve as (v: unknown) => void, reject });
    });
  }

  private send(): void {
    const calls = this.outbox;
    this.outbox = [];
    if (calls.length > 0 && !this.broken) this.worker.postMessage(calls);
  }

  add(delivery: NewDelivery, lease: Lease): Promise<AddResult> {
    return this.call("add", delivery, lease);
  }

  claim(now: number, limit: number, lease: Lease): Promise<ClaimedDelivery[]> {
    return this.call("claim", now, limit, lease);
  }

  heartbeat(claims: readonly ClaimRef[], now: number, lease: Lease): Promise<ClaimRef[]> {
    return this.call("heartbeat", claims, now, lease);
  }

  release(claims: readonly ClaimRef[]): Promise<void> {
    return this.call("release", claims);
  }

  complete(
    claim: ClaimRef,
    outcome: "delivered" | "ignored",
    result: AttemptResult,
    now: number,
  ): Promise<boolean> {
    return this.call("complete", claim, outcome, result, now);
  }

  retryLater(claim: ClaimRef, at: number, result: AttemptResult, now: number): Promise<boolean> {
    return this.call("retryLater", claim, at, result, now);
  }

  deadLetter(claim: ClaimRef, reason: string, result: AttemptResult, now: number): Promise<boolean> {
    return this.call("deadLetter", claim, reason, result, now);
  }

  sweep(now: number): Promise<number> {
    return this.call("sweep", now);
  }

  nextDueAt(owner: string): Promise<number | undefined> {
    return this.call("nextDueAt", owner);
  }

  counts(): Promise<{ pending: number; dead: number }> {
    return this.call("counts");
  }

  listDead(limit?: number): Promise<DeadDelivery[]> {
    return this.call("listDead", limit);
  }

  replay(filter: DeadFilter, now: number, retarget?: Retarget): Promise<number> {
    return this.call("replay", filter, now, retarget);
  }

  purgeDead(filter: DeadFilter, dryRun: boolean): Promise<DeadSummary[]> {
    return this.call("purgeDead", filter, dryRun);
  }

  records(filter: RecordFilter, limit: number): Promise<DeliveryRecord[]> {
    return this.call("records", filter, limit);
  }

  prune(before: number): Promise<void> {
    return this.call("prune", before);
  }

  /** Commits what is queued, closes the database and ends the thread. */
  close(): Promise<void> {
    this.closed ??= (async () => {
      if (!this.broken) await this.call("close").catch(() => {});
      await this.worker.terminate();
    })();
    return this.closed;
  }
}
