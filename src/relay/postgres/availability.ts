// Whether PostgreSQL answers, as /readyz reports it. Every call's outcome updates it: a lost
// connection makes the store unavailable, any answer makes it available. While unavailable it
// probes on its own, so /readyz turns green again even when no delivery arrives to try.

/** How often an unavailable store tries the database. */
export const PROBE_INTERVAL_MS = 1_000;

export class Availability {
  private up = true;
  private readonly listeners = new Set<(available: boolean) => void>();
  private timer: NodeJS.Timeout | undefined;
  private probing = false;
  private stopped = false;

  /** `probe` resolves when the database answers and rejects when it does not. */
  constructor(
    private readonly probe: () => Promise<void>,
    private readonly log: (available: boolean, detail?: string) => void,
  ) {}

  get available(): boolean {
    return this.up;
  }

  onChange(listener: (available: boolean) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The database answered. */
  ok(): void {
    this.set(true);
  }

  /**
   * Something hinted the database may be gone (an idle connection was cut): probe now rather than
   * wait for the next call. The probe's own failure marks the store unavailable.
   */
  check(): void {
    if (this.probing || this.stopped) return;
    this.probing = true;
    this.probe().then(
      () => {
        this.probing = false;
        this.ok();
      },
      () => {
        this.probing = false;
        this.schedule();
      },
    );
  }

  /** The database could not be reached; `detail` is already redacted. */
  lost(detail: string): void {
    this.set(false, detail);
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  private set(up: boolean, detail?: string): void {
    if (up === this.up) return;
    this.up = up;
    this.log(up, detail);
    for (const l of this.listeners) l(up);
    if (!up) this.schedule();
  }

  private schedule(): void {
    if (this.stopped || this.up || this.timer !== undefined) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (!this.up) this.check();
    }, PROBE_INTERVAL_MS);
    // A probe never keeps the process alive.
    this.timer.unref();
  }
}
