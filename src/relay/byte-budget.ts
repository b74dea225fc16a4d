/**
 * A fixed number of bytes shared by the requests whose bodies are held before their signature is
 * checked: whoever knows a receiver's UUID can send, so together they may hold no more than this.
 */
export class ByteBudget {
  #held = 0;

  constructor(readonly capacity: number) {}

  /** Bytes taken and not yet given back. */
  get held(): number {
    return this.#held;
  }

  /** Takes `n` bytes if they fit; false, with nothing taken, if they do not. */
  take(n: number): boolean {
    if (this.#held + n > this.capacity) return false;
    this.#held += n;
    return true;
  }

  give(n: number): void {
    this.#held -= n;
  }
}
