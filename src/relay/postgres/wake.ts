// Wake-ups from other relays: LISTEN on a connection of its own (a pooled connection goes back to
// the pool, and PgBouncer's transaction pooling would drop the subscription), reconnecting and
// listening again whenever the connection is lost. A notification only says "look now"; polling
// stays the backstop, and every (re)subscription wakes the listeners too, since notifications sent
// while the connection was down are lost.
import { Client, type ClientConfig } from "pg";

const RETRY_FIRST_MS = 100;
const RETRY_MAX_MS = 5_000;

export interface WakeEvents {
  /** A notification arrived, or the subscription was (re)made. */
  readonly wake: () => void;
  /** Subscribed (true) or lost the connection (false); `detail` says why, unredacted. */
  readonly state: (listening: boolean, detail?: string) => void;
}

export class WakeListener {
  private client: Client | undefined;
  private timer: NodeJS.Timeout | undefined;
  private delay = RETRY_FIRST_MS;
  private stopped = false;
  private current = false;

  constructor(
    private readonly config: ClientConfig,
    /** The channel, quoted for LISTEN. */
    private readonly quotedChannel: string,
    private readonly events: WakeEvents,
  ) {}

  /** Whether the subscription is live now. */
  get listening(): boolean {
    return this.current;
  }

  /** Subscribes in the background; failures are retried until `stop`. */
  start(): void {
    void this.connect();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    const client = this.client;
    this.client = undefined;
    this.current = false;
    await client?.end().catch(() => {});
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    const client = new Client(this.config);
    this.client = client;
    let lost = false;
    const onLost = (err?: Error) => {
      if (lost) return;
      lost = true;
      if (this.client === client) this.client = undefined;
      client.end().catch(() => {});
      if (this.stopped) return;
      if (this.current) {
        this.current = false;
        this.events.state(false, err?.message ?? "the connection ended");
      }
      this.retry();
    };
    // An idle client's socket error arrives as an event; unhandled, it would end the process.
    client.on("error", onLost);
    client.on("end", () => onLost());
    client.on("notification", () => this.events.wake());
    try {
      await client.connect();
      await client.query(`LISTEN ${this.quotedChannel}`);
    } catch (err) {
      onLost(err as Error);
      return;
    }
    if (lost || this.stopped) {
      await client.end().catch(() => {});
      return;
    }
    this.delay = RETRY_FIRST_MS;
    this.current = true;
    this.events.state(true);
    this.events.wake();
  }

  private retry(): void {
    if (this.stopped || this.timer !== undefined) return;
    const wait = this.delay;
    this.delay = Math.min(this.delay * 2, RETRY_MAX_MS);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.connect();
    }, wait);
    this.timer.unref();
  }
}
