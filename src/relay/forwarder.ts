// Forwards stored deliveries to Sourcegraph, one attempt per scheduled try. The retry schedule
// lives in the store (next_attempt_at), not in memory, so it survives restarts; this is why the
// forwarder makes single undici requests instead of using providers/http's in-process retries.
//
// It forwards only what it holds a claim on: the fresh deliveries the endpoint hands over (stored
// already claimed by this relay) and what `claim` gives it. The claim, not bookkeeping here, is
// what keeps the two paths (and other relays on the same database) from sending a delivery twice.
// It renews every claim it holds (in flight and waiting in memory) each heartbeat, drops those the
// store reports lost, and gives back (releases) what it cannot hold and what it holds at shutdown.
import type { Logger } from "pino";
import { Agent } from "undici";
import { backoffDelay, excerpt } from "../../providers/http";
import { signatureHeaders } from "../ingest";
import { classify, type Outcome } from "./classify";
import { RELAY_DEFAULTS } from "./defaults";
import { SourcegraphReceiverUrl } from "./forward-request";
import type { RelayMetrics } from "./metrics";
import type { RelayReceiver } from "./receivers-file";
import type { SignatureReuse } from "./signature-reuse";
import type { AttemptResult, ClaimedDelivery, ClaimRef, DeliveryStore, Lease } from "./store";
import { type WaitingBounds, WaitingDeliveries } from "./waiting-deliveries";

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
  /** This relay's claims: its owner ID and how long a claim holds without a heartbeat. */
  readonly lease: Lease;
  /** How often the claims held are renewed; a sixth of the lease when left out. */
  readonly heartbeatMs?: number;
  /** How often to look for deliveries made due by another process (`dlq replay`, another relay). */
  readonly pollMs?: number;
  /** Forwards the code host's own signature when `secrets[0]` made it; without it, always signs again. */
  readonly signatures?: SignatureReuse;
  /**
   * How many handed-over deliveries, and how many bytes of their bodies, wait in memory at most
   * (WAITING_BOUNDS when left out): past it, their claims are released and the store supplies them
   * when there is room.
   */
  readonly waitingBounds?: WaitingBounds;
}

export class Forwarder {
  private readonly inflight = new Map<number, Promise<void>>();
  /** Handed over by the endpoint, forwarded before anything claimed from the store. */
  private readonly waiting: WaitingDeliveries;
  /** Every claim held, in flight or waiting, by delivery id: the newest, which settles it. */
  private readonly held = new Map<number, string>();
  private readonly agent: Agent;
  private timer: NodeJS.Timeout | undefined;
  private heartbeatTimer: NodeJS.Timeout | undefined;
  /** Deliveries whose settlement is being written: a renewal racing it is not a lost claim. */
  private readonly settling = new Set<number>();
  private beating = false;
  private pumping: Promise<void> | undefined;
  private again = false;
  private stopped = true;
  private readonly sourcegraph: SourcegraphReceiverUrl;

  constructor(private readonly o: ForwarderOptions) {
    this.waiting = new WaitingDeliveries(o.waitingBounds);
    this.agent = new Agent({ connections: Math.max(4, o.concurrency), keepAliveTimeout: 10_000 });
    this.sourcegraph = new SourcegraphReceiverUrl(o.forwardTo, this.agent, o.timeoutMs);
  }

  start(): void {
    this.stopped = false;
    const every = this.o.heartbeatMs ?? Math.max(1, Math.floor(this.o.lease.ms / 6));
    this.heartbeatTimer = setInterval(() => void this.heartbeat(), every);
    this.heartbeatTimer.unref();
    this.kick();
  }

  /** Something became due (a new delivery, a replay): look now. */
  kick(): void {
    if (this.stopped) return;
    if (this.pumping) {
      this.again = true;
      return;
    }
    this.pumping = this.pump().finally(() => {
      this.pumping = undefined;
    });
  }

  /**
   * A delivery the endpoint has just committed, claimed by this relay. It is taken from memory
   * rather than read back from the store; the store stays the record.
   */
  offer(d: ClaimedDelivery): void {
    if (this.stopped || (!this.held.has(d.id) && !this.waiting.fits(d))) {
      this.release([d]);
      this.kick();
      return;
    }
    // Already held (it cannot be, short of a lease that ended): still one forward, settled by the
    // newest claim.
    const known = this.held.has(d.id);
    this.held.set(d.id, d.claimId);
    if (!known || this.waiting.has(d.id)) this.waiting.set(d);
    this.kick();
  }

  /** Deliveries being forwarded. */
  get busy(): number {
    return this.inflight.size;
  }

  /** Deliveries this relay holds a claim on: in flight, or waiting in memory. */
  get claimsHeld(): number {
    return this.held.size;
  }

  private async pump(): Promise<void> {
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
    }
  }

  /** Starts forwarding what fits: handed-over deliveries first, then what the store lets it claim. */
  private async round(): Promise<void> {
    do {
      this.again = false;
      const room = this.o.concurrency - this.inflight.size;
      if (room <= 0) break;
      const batch: ClaimedDelivery[] = [];
      for (const d of this.waiting.values()) {
        if (batch.length === room) break;
        this.waiting.delete(d.id);
        batch.push(d);
      }
      if (batch.length < room) {
        const taking = new Set(batch.map((d) => d.id));
        let claimed: ClaimedDelivery[];
        try {
          claimed = await this.o.store.claim(Date.now(), room - batch.length, this.o.lease);
        } catch (err) {
          // Still held: they wait for the next round rather than being renewed and never sent.
          for (const d of batch) this.waiting.set(d);
          throw err;
        }
        for (const c of claimed) {
          // Claimed again though already in hand (its lease ended before a heartbeat renewed it):
          // it goes once, and the newest claim settles it.
          this.held.set(c.id, c.claimId);
          if (this.inflight.has(c.id) || taking.has(c.id)) continue;
          this.waiting.delete(c.id);
          batch.push(c);
        }
      }
      // Stopped meanwhile: what was taken is still held, and stop() releases it.
      if (this.stopped) return;
      for (const d of batch) this.begin(d);
      if (batch.length === room) this.again = true;
    } while (this.again && !this.stopped);
  }

  private begin(d: ClaimedDelivery): void {
    const p = this.forward(d)
      .catch((err) => this.o.logger.error({ err, id: d.id }, "forwarding failed unexpectedly"))
      .finally(() => {
        this.inflight.delete(d.id);
        // A claim still held here was not settled (an unexpected failure, or claimed anew while a
        // settlement by the old claim failed): given back, the delivery is forwarded again rather
        // than renewed for ever and never sent.
        const left = this.held.get(d.id);
        if (left !== undefined && !this.waiting.has(d.id)) this.release([{ id: d.id, claimId: left }]);
        this.kick();
      });
    this.inflight.set(d.id, p);
  }

  private async schedule(): Promise<void> {
    if (this.stopped) return;
    const poll = this.o.pollMs ?? RELAY_DEFAULTS.poll.ms;
    // Every slot busy: a finished forward wakes the forwarder. A backlog due meanwhile would only
    // arm a 0 ms timer again and again while they are sent.
    if (this.inflight.size >= this.o.concurrency) {
      this.arm(poll);
      return;
    }
    // The claims held are left out: those are in hand already.
    const next = await this.o.store.nextDueAt(this.o.lease.owner);
    this.arm(next === undefined ? poll : Math.min(poll, Math.max(0, next - Date.now())));
  }

  private arm(ms: number): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => this.kick(), ms);
    this.timer.unref();
  }

  /** Renews every claim held; drops those the store no longer has. */
  private async heartbeat(): Promise<void> {
    if (this.beating || this.held.size === 0) return;
    this.beating = true;
    try {
      const claims = [...this.held].map(([id, claimId]): ClaimRef => ({ id, claimId }));
      const lost = await this.o.store.heartbeat(claims, Date.now(), this.o.lease);
      for (const c of lost) {
        // Settled, or claimed anew, since the heartbeat was sent: nothing was lost. A settlement
        // still under way may have committed before the renewal read the row; its own answer says
        // whether the claim held, and counts it if not.
        if (this.held.get(c.id) !== c.claimId || this.settling.has(c.id)) continue;
        this.held.delete(c.id);
        const dropped = this.waiting.delete(c.id);
        this.o.metrics.claimsLost.inc({ at: "heartbeat" });
        this.o.logger.warn(
          { id: c.id, inFlight: this.inflight.has(c.id) },
          dropped
            ? "lost the claim on a delivery waiting to be forwarded (its lease ended): dropped here, the relay that holds it now forwards it"
            : "lost the claim on a delivery being forwarded (its lease ended): the relay that holds it now settles it, and Sourcegraph may receive it twice (at least once)",
        );
      }
    } catch (err) {
      this.o.logger.error({ err }, "renewing the relay's claims failed; trying again at the next heartbeat");
    } finally {
      this.beating = false;
    }
  }

  /** Gives claims back to the store, free for any relay at once. */
  private release(claims: readonly ClaimRef[]): void {
    const refs = claims.map(({ id, claimId }): ClaimRef => ({ id, claimId }));
    for (const c of refs) if (this.held.get(c.id) === c.claimId) this.held.delete(c.id);
    if (refs.length === 0) return;
    this.o.store
      .release(refs)
      .then(() => this.o.metrics.claimsReleased.inc(refs.length))
      .catch((err) =>
        this.o.logger.error(
          { err, count: refs.length },
          "releasing claims failed: their deliveries wait for the lease to end",
        ),
      );
  }

  /**
   * Settles `d` by the claim held on it now. False when the claim is gone: lost at a heartbeat, or
   * taken by another relay after its lease ended (at least once: it may be forwarded again there).
   */
  private async settle(d: ClaimedDelivery, how: (claim: ClaimRef) => Promise<boolean>): Promise<boolean> {
    const claimId = this.held.get(d.id);
    if (claimId === undefined) return false;
    let ok = false;
    this.settling.add(d.id);
    try {
      ok = await how({ id: d.id, claimId });
    } finally {
      this.settling.delete(d.id);
      const now = this.held.get(d.id);
      this.held.delete(d.id);
      // Claimed anew while this settled by the old claim, which failed: given back, it is
      // forwarded again (at least once) rather than held with no one sending it.
      if (now !== undefined && now !== claimId) this.release([{ id: d.id, claimId: now }]);
    }
    if (!ok) {
      this.o.metrics.claimsLost.inc({ at: "settle" });
      this.o.logger.warn(
        { id: d.id, receiver: d.receiverUuid, deliveryId: d.deliveryId },
        "the delivery's claim ended before it was settled (its lease ended and another relay took it): that relay forwards it too, at least once",
      );
    }
    return ok;
  }

  private async forward(d: ClaimedDelivery): Promise<void> {
    const { store, metrics, logger } = this.o;
    // Its claim was lost at a heartbeat before its turn came.
    if (!this.held.has(d.id)) return;
    const receiver = this.o.receiver(d.receiverUuid);
    if (!receiver) {
      // Removed from the receivers while the delivery waited: without its secret the delivery
      // would go out unsigned. It waits for the operator (`dlq replay --to-receiver`).
      const moved = await this.settle(d, (claim) =>
        store.deadLetter(
          claim,
          "unknown_receiver",
          { error: "the receiver is no longer among the relay's receivers" },
          Date.now(),
        ),
      );
      if (!moved) return;
      metrics.deadLettered.inc({ reason: "unknown_receiver" });
      logger.warn(
        { ...logFields(d), reason: "unknown_receiver" },
        "the delivery's receiver is no longer among the relay's receivers: moved to the dead-letter store, not forwarded (dlq replay --to-receiver sends it to another receiver)",
      );
      return;
    }
    const reused = this.o.signatures?.reuse(d.kind, d.signature, receiver.secrets);
    const headers = reused
      ? { ...d.headers, [reused.name]: reused.value }
      : { ...d.headers, ...signatureHeaders(d.kind, d.body, receiver.secrets[0]) };
    const started = performance.now();
    const { status, text, retryAfterMs, error } = await this.sourcegraph.send(
      d.receiverUuid,
      headers,
      d.body,
    );
    const seconds = (performance.now() - started) / 1000;
    // A request undici refuses to send (an invalid header value) will never succeed.
    const outcome: Outcome =
      status !== undefined
        ? classify(d.kind, status, text)
        : error === "UND_ERR_INVALID_ARG"
          ? { kind: "dead", reason: "rejected" }
          : { kind: "retry" };
    metrics.forwardDuration.observe({ result: outcome.kind }, seconds);
    const result: AttemptResult = {
      ...(status !== undefined ? { status } : {}),
      // The answer may echo the request (a proxy's debug page): the receiver's secrets, GitLab's
      // token among them, never reach the store or `dlq list`.
      ...(error || text ? { error: error ?? excerpt(text, receiver.secrets, 200) } : {}),
    };

    switch (outcome.kind) {
      case "forwarded":
        await this.settle(d, (claim) => store.complete(claim, "delivered", result, Date.now()));
        metrics.forwarded.inc({ kind: d.kind });
        // The one line a delivery gets at info: written whole, without spreading a shared object.
        logger.info(
          {
            id: d.id,
            receiver: d.receiverUuid,
            kind: d.kind,
            event: d.event,
            deliveryId: d.deliveryId,
            status,
            ms: Math.round(seconds * 1000),
          },
          "forwarded",
        );
        return;
      case "ignored":
        await this.settle(d, (claim) => store.complete(claim, "ignored", result, Date.now()));
        metrics.ignored.inc({ kind: d.kind });
        logger.info({ ...logFields(d), status }, "Sourcegraph does not handle this event; ignored");
        return;
      case "dead":
        if (!(await this.settle(d, (claim) => store.deadLetter(claim, outcome.reason, result, Date.now()))))
          return;
        metrics.deadLettered.inc({ reason: outcome.reason });
        logger.warn({ ...logFields(d), status, reason: outcome.reason }, "moved to the dead-letter store");
        return;
      case "retry": {
        const now = Date.now();
        const wait = Math.min(
          this.o.retryMaxDelayMs,
          Math.max(
            retryAfterMs ?? 0,
            backoffDelay(d.attempts, {
              attempts: Infinity,
              baseMs: this.o.retryBaseMs,
              maxDelayMs: this.o.retryMaxDelayMs,
            }),
          ),
        );
        if (now + wait - d.windowStart > this.o.maxAgeMs) {
          if (!(await this.settle(d, (claim) => store.deadLetter(claim, "expired", result, now)))) return;
          metrics.deadLettered.inc({ reason: "expired" });
          logger.warn(
            { ...logFields(d), status, error, attempts: d.attempts + 1 },
            "retries exhausted; moved to the dead-letter store",
          );
          return;
        }
        await this.settle(d, (claim) => store.retryLater(claim, now + wait, result, now));
        metrics.retried.inc({ kind: d.kind });
        logger.warn(
          { ...logFields(d), status, error, attempts: d.attempts + 1, retryInMs: wait },
          "forwarding failed; will retry",
        );
        this.arm(Math.min(wait, this.o.pollMs ?? RELAY_DEFAULTS.poll.ms));
        return;
      }
    }
  }

  /**
   * Keeps forwarding until nothing is due and nothing is in flight, or until `deadline`. What is
   * waiting for a later retry stays stored for the next start (or another relay).
   */
  async drain(deadline: number): Promise<void> {
    while (Date.now() < deadline) {
      if (this.inflight.size > 0) {
        await Promise.race([Promise.allSettled([...this.inflight.values()]), sleep(deadline - Date.now())]);
        continue;
      }
      if (this.waiting.size === 0) {
        let next: number | undefined;
        try {
          next = await this.o.store.nextDueAt(this.o.lease.owner);
        } catch {
          // The store is gone: what it holds waits for the next start.
          return;
        }
        if (next === undefined || next > Date.now()) return;
      }
      this.kick();
      await sleep(10);
    }
  }

  /**
   * Stops; requests still in flight are aborted, and those deliveries stay stored for the next
   * start. The claims still held are released, free for another relay at once.
   */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.heartbeatTimer) clearInterval(this.heartbeatTimer);
    await this.agent.destroy();
    await Promise.allSettled([...this.inflight.values(), this.pumping]);
    const rest = [...this.held].map(([id, claimId]): ClaimRef => ({ id, claimId }));
    this.waiting.clear();
    this.held.clear();
    if (rest.length === 0) return;
    try {
      await this.o.store.release(rest);
      this.o.metrics.claimsReleased.inc(rest.length);
    } catch (err) {
      this.o.logger.error(
        { err, count: rest.length },
        "releasing claims at shutdown failed: their deliveries wait for the lease to end",
      );
    }
  }
}

/** What every line about a delivery says of it. */
const logFields = (d: ClaimedDelivery) => ({
  id: d.id,
  receiver: d.receiverUuid,
  kind: d.kind,
  event: d.event,
  deliveryId: d.deliveryId,
});

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, Math.max(0, ms)).unref());
