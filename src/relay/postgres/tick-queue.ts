// Calls made during one turn of the event loop go to the database together in the next: one
// statement (one round trip, one commit) for every delivery that arrived, or was settled, together.

interface Waiting<I, O> {
  readonly item: I;
  readonly resolve: (value: O) => void;
  readonly reject: (err: unknown) => void;
}

export class TickQueue<I, O> {
  private queue: Waiting<I, O>[] = [];
  private readonly running = new Set<Promise<void>>();

  /** `flush` answers a batch, one output per input, in order; it may reject for all of them. */
  constructor(private readonly flush: (items: readonly I[]) => Promise<readonly O[]>) {}

  /** Resolves with the output for `item` once its batch is committed. */
  run(item: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      if (this.queue.length === 0) setImmediate(() => this.send());
      this.queue.push({ item, resolve, reject });
    });
  }

  /** Sends what is queued now and waits for every batch still running. */
  async drain(): Promise<void> {
    this.send();
    while (this.running.size > 0) await Promise.allSettled([...this.running]);
  }

  private send(): void {
    const batch = this.queue;
    this.queue = [];
    if (batch.length === 0) return;
    const done = this.flush(batch.map((w) => w.item)).then(
      (outputs) => {
        for (const [i, w] of batch.entries()) w.resolve(outputs[i]!);
      },
      (err: unknown) => {
        for (const w of batch) w.reject(err);
      },
    );
    const tracked = done.finally(() => this.running.delete(tracked));
    this.running.add(tracked);
  }
}
