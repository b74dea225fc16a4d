// The deliveries the endpoint handed to the forwarder that wait in memory for a free slot, bounded
// by their number and by their bodies' bytes: a delivery that does not fit is given back to the
// store (its claim released), which supplies it again when there is room. Reading it back costs a
// query and a copy of its body, so the bound is set by memory (bytes, whatever the bodies' size),
// not by a count alone that a burst of ordinary deliveries overflows.
import type { ClaimedDelivery } from "./store";

export interface WaitingBounds {
  /** Deliveries at most. */
  readonly deliveries: number;
  /** Body bytes at most. */
  readonly bytes: number;
}

/** 64 MiB of bodies (about 3,000 deliveries of 21 KB), and never more than 4,096 deliveries. */
export const WAITING_BOUNDS: WaitingBounds = Object.freeze({ deliveries: 4096, bytes: 64 * 1024 * 1024 });

export class WaitingDeliveries {
  readonly #byId = new Map<number, ClaimedDelivery>();
  #bytes = 0;

  constructor(readonly bounds: WaitingBounds = WAITING_BOUNDS) {}

  /** Whether `d` fits beside what waits (one delivery always fits, whatever its size). */
  fits(d: ClaimedDelivery): boolean {
    if (this.#byId.size === 0) return true;
    return this.#byId.size < this.bounds.deliveries && this.#bytes + d.body.byteLength <= this.bounds.bytes;
  }

  /** Adds `d`, or replaces the delivery of the same id where it stands. */
  set(d: ClaimedDelivery): void {
    const old = this.#byId.get(d.id);
    if (old !== undefined) this.#bytes -= old.body.byteLength;
    this.#byId.set(d.id, d);
    this.#bytes += d.body.byteLength;
  }

  /** True when it was waiting. */
  delete(id: number): boolean {
    const d = this.#byId.get(id);
    if (d === undefined) return false;
    this.#byId.delete(id);
    this.#bytes -= d.body.byteLength;
    return true;
  }

  has(id: number): boolean {
    return this.#byId.has(id);
  }

  /** In the order they were handed over. */
  values(): IterableIterator<ClaimedDelivery> {
    return this.#byId.values();
  }

  get size(): number {
    return this.#byId.size;
  }

  /** Body bytes held. */
  get bytes(): number {
    return this.#bytes;
  }

  clear(): void {
    this.#byId.clear();
    this.#bytes = 0;
  }
}
