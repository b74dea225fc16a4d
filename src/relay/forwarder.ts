// Forwards stored deliveries to Sourcegraph, one attempt per scheduled try. The retry schedule
// lives in the store (next_attempt_at), not in memory, so it survives restarts; this is why the
// forwarder makes single undici requests instead of using providers/http's in-process retries.
import type { Logger } from "pino";
import { Agent, request } from "undici";
import { backoffDelay, excerpt, retryAfterMs } from "../../providers/http";
import { signatureHeaders } from "../ingest";
import { classify, type Outcome } from "./classify";
import { RELAY_DEFAULTS } from "./defaults";
import type { RelayMetrics } from "./metrics";
import type { RelayReceiver } from "./receivers-file";
import type { AttemptResult, DeliveryStore, StoredDelivery } from "./store";

export interface ForwarderOptions {
  readonly store: DeliveryStore;
  readonly receiver: (uuid: string) => RelayReceiver | undefined;
  /** Sourcegraph's URL; deliveries go to `<forwardTo>/.api/webhooks/<uuid>`. */
  readonly forwardTo: string;
  readonly metrics: RelayMetrics;
  readonly logger: Logger;
  /** Deliveries forwarded at once. */
  readonly concurrency: number;
  /** A delivery still failing this long after reception (or replay) goes to the dead-letter store. */
  readonly maxAgeMs: number;
  readonly retryBaseMs: number;
  readonly retryMaxDelayMs: number;
  readonly timeoutMs: number;
  /** How often to look for deliveries made due by another process (`dlq replay`). */
  readonly pollMs?: number;
}

/**
 * Fresh deliveries handed over in memory at most: past this, the store supplies them (their bodies
 * are in memory already, so reading them back would only cost time, but memory must stay bounded).
 */
const MAX_HANDED_OVER = 1024;

/** The most of Sourcegraph's answer read into memory: enough to classify it and to redact it whole. */
const ANSWER_CHARS = 4096;

export class Forwarder {
  private readonly inflight = new Map<number, Promise<void>>();
  /** Stored deliveries handed over by the endpoint, forwarded before anything read from the store. */
  private readonly handedOver = new Map<number, StoredDelivery>();
  /**
   * The last deliveries settled: a hand-over that comes after the store already gave the delivery
   * (and it was forwarded) is ignored. Bounded; ids only grow, so old ones are never offered again.
   */
  private readonly settled = new Set<number>();
  private readonly agent: Agent;
  private timer: NodeJS.Timeout | undefined;
  private pumping = false;
  private again = false;
  private stopped = true;
  private readonly base: string;

  constructor(private readonly o: ForwarderOptions) {
    this.agent = new Agent({ connections: Math.max(4, o.concurrency), keepAliveTimeout: 10_000 });
    this.base = o.forwardTo.replace(/\/+$/, "");
  }

  start(): void {
    this.stopped = false;
    this.kick();
  }

  /** Something became due (a new delivery, a replay): look now. */
  kick(): void {
    if (this.stopped) return;
    if (this.pumping) {
      this.again = true;
      return;
    }
    void this.pump();
  }

  /**
   * A delivery the endpoint has just committed. It is taken from memory rather than read back from
   * the store; the store stays the record (a delivery dropped here is read from it later).
   */
  offer(d: StoredDelivery): void {
    if (this.stopped || this.inflight.has(d.id) || this.handedOver.size >= MAX_HANDED_OVER) return;
    if (this.settled.has(d.id)) {
      // A dead letter revived by a redelivery has an id already settled here: it cannot be told
      // from a late hand-over of one forwarded since, so the store, which knows, supplies it now.
      this.kick();
      return;
    }
    this.handedOver.set(d.id, d);
    this.kick();
  }

  get busy(): number {
    return this.inflight.size;
  }

  private async pump(): Promise<void> {
    this.pumping = true;
    try {
      // A kick that lands while the store is being asked when the next retry is due must not be
      // lost: look again until a whole round went by without one.
      for (;;) {
        await this.round();
        await this.schedule();
        if (!this.again || this.stopped) break;
      }
    } catch (err) {
      this.o.logger.error({ err }, "reading the delivery store failed");
      this.arm(1000);
    } finally {
      this.pumping = false;
    }
  }

  /** Starts forwarding what fits: handed-over deliveries first, then what the store says is due. */
  private async round(): Promise<void> {
    do {
      this.again = false;
      const room = this.o.concurrency - this.inflight.size;
      if (room <= 0) break;
      const due: StoredDelivery[] = [];
      for (const d of this.handedOver.values()) {
        if (due.length === room) break;
        this.handedOver.delete(d.id);
        due.push(d);
      }
      if (due.length < room) {
        const claimed = new Set([
          ...this.inflight.keys(),
          ...this.handedOver.keys(),
          ...due.map((d) => d.id),
        ]);
        // The store answers some time after it is asked: what was handed over meanwhile may be
        // among its rows, and must go once.
        for (const d of await this.o.store.due(Date.now(), room - due.length, claimed)) {
          this.handedOver.delete(d.id);
          due.push(d);
        }
      }
      for (const d of due) {
        const p = this.forward(d)
          .catch((err) => this.o.logger.error({ err, id: d.id }, "forwarding failed unexpectedly"))
          .finally(() => {
            this.settled.add(d.id);
            if (this.settled.size > MAX_HANDED_OVER) {
              this.settled.delete(this.settled.values().next().value as number);
            }
            this.inflight.delete(d.id);
            this.kick();
          });
        this.inflight.set(d.id, p);
      }
      if (due.length === room) this.again = true;
    } while (this.again && !this.stopped);
  }

  private async schedule(): Promise<void> {
    if (this.stopped) return;
    // Those in flight are left out: their retry time has passed, and a finished forward wakes the
    // forwarder anyway. Counting them armed a 0 ms timer again and again while they were sent.
    const next = await this.o.store.nextDueAt(new Set([...this.inflight.keys(), ...this.handedOver.keys()]));
    const poll = this.o.pollMs ?? RELAY_DEFAULTS.poll.ms;
    this.arm(next === undefined ? poll : Math.min(poll, Math.max(0, next - Date.now())));
  }

  private arm(ms: number): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => this.kick(), ms);
    this.timer.unref();
  }

  private async forward(d: StoredDelivery): Promise<void> {
    const { store, metrics, logger } = this.o;
    const receiver = this.o.receiver(d.receiverUuid);
    const log = {
      id: d.id,
      receiver: d.receiverUuid,
      kind: d.kind,
      event: d.event,
      deliveryId: d.deliveryId,
    };
    if (!receiver) {
      // Removed from the receivers while the delivery waited: without its secret the delivery
      // would go out unsigned. It waits for the operator (`dlq replay --to-receiver`).
      await store.deadLetter(
        d.id,
        "unknown_receiver",
        { error: "the receiver is no longer among the relay's receivers" },
        Date.now(),
      );
      metrics.deadLettered.inc({ reason: "unknown_receiver" });
      logger.warn(
        { ...log, reason: "unknown_receiver" },
        "the delivery's receiver is no longer among the relay's receivers: moved to the dead-letter store, not forwarded (dlq replay --to-receiver sends it to another receiver)",
      );
      return;
    }
    const headers = { ...d.headers, ...signatureHeaders(d.kind, d.body, receiver.secrets[0]) };
    const started = performance.now();
    let status: number | undefined;
    let text = "";
    let retryAfter: number | undefined;
    let error: string | undefined;
    try {
      const res = await request(`${this.base}/.api/webhooks/${d.receiverUuid}`, {
        method: "POST",
        headers,
        body: Buffer.from(d.body.buffer, d.body.byteOffset, d.body.byteLength),
        dispatcher: this.agent,
        signal: AbortSignal.timeout(this.o.timeoutMs),
      });
      status = res.statusCode;
      // Only Sourcegraph's short messages matter; never keep a long body. More than is stored is
      // kept until it is redacted, so that a secret echoed across the cut is still recognised.
      text = (await res.body.text()).slice(0, ANSWER_CHARS);
      const h: Record<string, string> = {};
      for (const [k, v] of Object.entries(res.headers)) if (typeof v === "string") h[k] = v;
      retryAfter = retryAfterMs(h);
    } catch (err) {
      const e = err as { code?: string; name?: string; cause?: { code?: string } };
      error =
        e.name === "TimeoutError"
          ? `timed out after ${this.o.timeoutMs} ms`
          : (e.code ?? e.cause?.code ?? e.name ?? "network error");
    }
    const seconds = (performance.now() - started) / 1000;
    // A request undici refuses to send (an invalid header value) will never succeed.
    const invalid = error === "UND_ERR_INVALID_ARG";
    const outcome: Outcome =
      status !== undefined
        ? classify(d.kind, status, text)
        : invalid
          ? { kind: "dead", reason: "rejected" }
          : { kind: "retry" };
    metrics.forwardDuration.observe({ result: outcome.kind }, seconds);
    const result: AttemptResult = {
      ...(status !== undefined ? { status } : {}),
      // The answer may echo the request (a proxy's debug page): the receiver's secrets, GitLab's
      // token among them, never reach the store or `dlq list`.
      ...(error || text ? { error: error ?? excerpt(text, receiver?.secrets ?? [], 200) } : {}),
    };

    switch (outcome.kind) {
      case "forwarded":
        await store.complete(d.id, "delivered", result, Date.now());
        metrics.forwarded.inc({ kind: d.kind });
        logger.info({ ...log, status, ms: Math.round(seconds * 1000) }, "forwarded");
        return;
      case "ignored":
        await store.complete(d.id, "ignored", result, Date.now());
        metrics.ignored.inc({ kind: d.kind });
        logger.info({ ...log, status }, "Sourcegraph does not handle this event; ignored");
        return;
      case "dead":
        await store.deadLetter(d.id, outcome.reason, result, Date.now());
        metrics.deadLettered.inc({ reason: outcome.reason });
        logger.warn({ ...log, status, reason: outcome.reason }, "moved to the dead-letter store");
        return;
      case "retry": {
        const now = Date.now();
        const wait = Math.min(
          this.o.retryMaxDelayMs,
          Math.max(
            retryAfter ?? 0,
            backoffDelay(d.attempts, {
              attempts: Infinity,
              baseMs: this.o.retryBaseMs,
              maxDelayMs: this.o.retryMaxDelayMs,
            }),
          ),
        );
        if (now + wait - d.windowStart > this.o.maxAgeMs) {
          await store.deadLetter(d.id, "expired", result, now);
          metrics.deadLettered.inc({ reason: "expired" });
          logger.warn(
            { ...log, status, error, attempts: d.attempts + 1 },
            "retries exhausted; moved to the dead-letter store",
          );
          return;
        }
        await store.retryLater(d.id, now + wait, result, now);
        metrics.retried.inc({ kind: d.kind });
        logger.warn(
          { ...log, status, error, attempts: d.attempts + 1, retryInMs: wait },
          "forwarding failed; will retry",
        );
        this.arm(Math.min(wait, this.o.pollMs ?? RELAY_DEFAULTS.poll.ms));
        return;
      }
    }
  }

  /**
   * Keeps forwarding until nothing is due and nothing is in flight, or until `deadline`. What is
   * waiting for a later retry stays stored for the next start.
   */
  async drain(deadline: number): Promise<void> {
    while (Date.now() < deadline) {
      if (this.inflight.size > 0) {
        await Promise.race([Promise.allSettled([...this.inflight.values()]), sleep(deadline - Date.now())]);
        continue;
      }
      let due: StoredDelivery[];
      try {
        due = await this.o.store.due(Date.now(), 1, new Set());
      } catch {
        // The store is gone: what it holds waits for the next start.
        return;
      }
      if (due.length === 0 && this.handedOver.size === 0) return;
      this.kick();
      await sleep(10);
    }
  }

  /** Stops; requests still in flight are aborted, and those deliveries stay stored for the next start. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.agent.destroy();
    await Promise.allSettled([...this.inflight.values()]);
  }
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, Math.max(0, ms)).unref());
