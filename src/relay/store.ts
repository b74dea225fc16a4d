// The relay's durable queue, behind an interface narrow enough for a PostgreSQL implementation
// later: add (with dedupe), take what is due, settle each delivery, the dead-letter commands, and
// the record of what Sourcegraph answered, kept without the body for the dedupe window.
import type { CodeHostKind } from "../ingest";

export interface NewDelivery {
  readonly receiverUuid: string;
  readonly kind: CodeHostKind;
  readonly event: string;
  /**
   * The code host's delivery ID, when it sends one. With the receiver and `hookId` it is the dedupe
   * key: a second delivery with the same key is a duplicate, or revives a dead letter.
   */
  readonly deliveryId?: string;
  /**
   * The hook that sent it, where the delivery ID names the event rather than the delivery (GitHub's
   * `X-GitHub-Hook-ID`: every hook subscribed to an event gets the same `X-GitHub-Delivery`).
   */
  readonly hookId?: string;
  /** The headers to forward, without signature or token. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Uint8Array;
  readonly receivedAt: number;
}

export interface StoredDelivery extends NewDelivery {
  readonly id: number;
  /** Forwarding attempts so far. */
  readonly attempts: number;
  /** When the retry window started: reception, or the last replay. */
  readonly windowStart: number;
}

export interface DeadDelivery extends StoredDelivery {
  readonly reason: string;
  readonly lastStatus?: number;
  readonly lastError?: string;
  readonly deadAt: number;
}

/** Which dead letters a command acts on. */
export type DeadFilter =
  | "all"
  | { readonly ids: readonly number[] }
  | { readonly receiverUuid: string }
  /** Dead-lettered before this time (ms since the epoch). */
  | { readonly deadBefore: number };

/** A dead letter as `dlq purge` reports it: what it was, never its body or headers. */
export interface DeadSummary {
  readonly id: number;
  readonly receiverUuid: string;
  readonly kind: CodeHostKind;
  readonly event: string;
  readonly deliveryId?: string;
  readonly reason: string;
  readonly deadAt: number;
  readonly bytes: number;
}

/** Replayed dead letters go to this receiver instead (its kind must be theirs). */
export interface Retarget {
  readonly receiverUuid: string;
  readonly kind: CodeHostKind;
}

export interface AttemptResult {
  readonly status?: number;
  /** A short description, never a body or a secret. */
  readonly error?: string;
}

/**
 * Where a delivery stands. `expired` is a dead letter whose retries ran out (`--max-age`); `dead`
 * is any other dead letter (Sourcegraph refused it, or its receiver is gone).
 */
export type DeliveryState = "pending" | "delivered" | "ignored" | "dead" | "expired";

/** Which records `records` returns; every given field must match. */
export interface RecordFilter {
  readonly receiverUuid?: string;
  /** Received (or revived by a redelivery) at or after this time, in ms since the epoch. */
  readonly since?: number;
  readonly states?: readonly DeliveryState[];
  readonly deliveryId?: string;
}

/**
 * What the relay knows of a delivery and of Sourcegraph's last answer to it: no headers, no body.
 * Kept while the delivery is pending or dead, and for the dedupe window once it is delivered or
 * ignored.
 */
export interface DeliveryRecord {
  readonly id: number;
  readonly receiverUuid: string;
  readonly kind: CodeHostKind;
  readonly event: string;
  readonly deliveryId?: string;
  readonly hookId?: string;
  readonly state: DeliveryState;
  /** Forwarding attempts since it was received, replayed or revived. */
  readonly attempts: number;
  /** Sourcegraph's status at the last attempt; absent when it never answered (connection error, timeout). */
  readonly lastStatus?: number;
  /** A short description of the last answer, redacted of the receiver's secrets. */
  readonly lastError?: string;
  readonly lastAttemptAt?: number;
  readonly receivedAt: number;
  /** When it was delivered, ignored or dead-lettered. */
  readonly settledAt?: number;
  /** Why it was dead-lettered (`bad_signature`, `unknown_receiver`, `rejected`, `expired`). */
  readonly reason?: string;
}

/** What `add` did with a delivery. */
export interface AddResult {
  /** The stored delivery's id (for a duplicate, the one it duplicates when still recorded). */
  readonly id: number;
  /** Already accepted (pending, delivered or ignored): not stored again. */
  readonly duplicate: boolean;
  /** A redelivery of a dead letter: its bytes replaced the old ones and it is pending again. */
  readonly revived: boolean;
}

export interface DeliveryStore {
  /**
   * Durably stores a delivery; resolves only once it is committed. A delivery whose key (receiver,
   * delivery ID, hook ID) is already stored is a duplicate, unless the stored one is a dead letter
   * (expired ones included): then the new bytes replace it, and it is pending again with no
   * attempts and a fresh retry window.
   */
  add(delivery: NewDelivery): Promise<AddResult>;
  /** Pending deliveries due at `now`, oldest first, skipping `exclude` (those being forwarded). */
  due(now: number, limit: number, exclude: ReadonlySet<number>): Promise<StoredDelivery[]>;
  /**
   * Forwarded (or ignored by Sourcegraph) at `now`: nothing more to do. Its body and headers are
   * dropped; the record of Sourcegraph's answer stays for the dedupe window.
   */
  complete(id: number, outcome: "delivered" | "ignored", result: AttemptResult, now: number): Promise<void>;
  /** An attempt at `now` failed; the next is due at `at`. */
  retryLater(id: number, at: number, result: AttemptResult, now: number): Promise<void>;
  /** Dead-lettered at `now` (the body is kept for replay). */
  deadLetter(id: number, reason: string, result: AttemptResult, now: number): Promise<void>;
  /** When the next pending delivery is due, if any, leaving out `exclude` (those being forwarded). */
  nextDueAt(exclude?: ReadonlySet<number>): Promise<number | undefined>;
  counts(): Promise<{ pending: number; dead: number }>;
  listDead(limit?: number): Promise<DeadDelivery[]>;
  /**
   * Puts dead deliveries back in the queue, due now, with a fresh retry window; with `retarget`,
   * for another receiver of the same kind (dead letters of another kind are left as they are).
   * Resolves with how many were queued.
   */
  replay(filter: DeadFilter, now: number, retarget?: Retarget): Promise<number>;
  /**
   * Removes dead letters, and forgets their delivery IDs so that a code host's redelivery is taken
   * as new. Resolves with what was removed; with `dryRun`, with what would be, removing nothing.
   */
  purgeDead(filter: DeadFilter, dryRun: boolean): Promise<DeadSummary[]>;
  /**
   * Records of deliveries, newest first, at most `limit`: what `doctor` and `redeliver` read. Never
   * headers or bodies.
   */
  records(filter: RecordFilter, limit: number): Promise<DeliveryRecord[]>;
  /**
   * Forgets deliveries delivered or ignored before `before` (the dedupe window), with their keys:
   * a redelivery after that is taken as new. Pending deliveries and dead letters stay.
   */
  prune(before: number): Promise<void>;
  close(): Promise<void>;
}
