// Work queued during one turn of the event loop runs in one transaction in the next: one commit
// (and, on the synchronous=FULL connection, one fsync) for every delivery that arrived together.
import type Database from "better-sqlite3";

interface Queued {
  work: () => unknown;
  resolve: (value: unknown) => void;
  reject: (err: unknown) => void;
}

export class TickBatch {
  private queue: Queued[] = [];

  constructor(private readonly db: Database.Database) {}

  /** Resolves with what `work` returned once its transaction is committed. */
  run<T>(work: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      if (this.queue.length === 0) setImmediate(() => this.flush());
      this.queue.push({ work, resolve: resolve as (value: unknown) => void, reject });
    });
  }

  /** Commits what is queued now (the next turn finds nothing left). */
  flush(): void {
    const batch = this.queue;
    this.queue = [];
    if (batch.length === 0) return;
    let results: unknown[];
    try {
      // IMMEDIATE: work that reads before it writes (a dedupe lookup) must not start on a snapshot
      // that another connection's commit makes stale before its first write, which SQLite answers
      // with SQLITE_BUSY instead of waiting.
      results = this.db.transaction(() => batch.map((q) => q.work())).immediate();
    } catch (err) {
      for (const q of batch) q.reject(err);
      return;
    }
    for (const [i, q] of batch.entries()) q.resolve(results[i]);
  }
}
