/** A request body being received, as the rate watch sees it. */
export interface WatchedBody {
  /** `Date.now()` when its headers had been read. */
  readonly startedAt: number;
  /** Body bytes received so far. */
  received: number;
  /** Called once when the body is behind the rate; the watch has already forgotten it. */
  readonly onSlow: () => void;
  /** Its connection, cut when the watch stops (the server is shutting down). */
  readonly socket: { destroy(): void };
}

/**
 * Ends request bodies that arrive slower than a minimum rate. A sender that trickles bytes holds
 * a connection (and, before its signature is checked, a share of the unverified byte budget) for as
 * long as it likes otherwise. One timer for all requests, rather than one per request.
 */
export class BodyRateWatch {
  readonly #bodies = new Set<WatchedBody>();
  #timer: NodeJS.Timeout | undefined;

  /**
   * @param bytesPerSecond the average a body must keep up once `graceMs` have passed since its
   *   headers, counted from that start (so a short stall after a fast start is forgiven).
   */
  constructor(
    readonly bytesPerSecond: number,
    readonly graceMs: number,
  ) {}

  watch(body: WatchedBody): void {
    this.#bodies.add(body);
  }

  forget(body: WatchedBody): void {
    this.#bodies.delete(body);
  }

  /** Bodies being watched. */
  get size(): number {
    return this.#bodies.size;
  }

  /** Ends every body that is behind the rate. */
  sweep(now = Date.now()): void {
    for (const body of this.#bodies) {
      const elapsed = now - body.startedAt;
      if (elapsed > this.graceMs && body.received * 1000 < this.bytesPerSecond * elapsed) {
        this.#bodies.delete(body);
        body.onSlow();
      }
    }
  }

  /** Sweeps on a timer that does not keep the process alive, often enough to end a body soon after its grace. */
  start(): void {
    this.#timer ??= setInterval(() => this.sweep(), Math.max(10, Math.min(1000, this.graceMs / 2)));
    this.#timer.unref();
  }

  /**
   * Stops the timer and cuts the connections of the bodies still coming. At shutdown, Node's
   * closeAllConnections() misses a connection whose answer was sent while its body is still
   * arriving (a refused request being read to its end); nothing else would end it then.
   */
  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
    for (const body of this.#bodies) body.socket.destroy();
    this.#bodies.clear();
  }
}
