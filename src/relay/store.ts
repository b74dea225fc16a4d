// The relay's durable queue, behind an interface narrow enough for a PostgreSQL implementation
// later: add (with dedupe), take what is due, settle each delivery, and the dead-letter commands.
import type { CodeHostKind } from "../ingest";

export interface NewDelivery {
  readonly receiverUuid: string;
  readonly kind: CodeHostKind;
  readonly event: string;
  /** The code host's delivery ID, when it sends one: a second delivery with it is dropped. */
  readonly deliveryId?: string;
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

export interface DeliveryStore {
  /** Durably stores a delivery; resolves only once it is committed. */
  add(delivery: NewDelivery): Promise<{ id: number; duplicate: boolean }>;
  /** Pending deliveries due at `now`, oldest first, skipping `exclude` (those being forwarded). */
  due(now: number, limit: number, exclude: ReadonlySet<number>): Promise<StoredDelivery[]>;
  /** Forwarded (or ignored by Sourcegraph): nothing more to do. */
  complete(id: number): Promise<void>;
  retryLater(id: number, at: number, result: AttemptResult): Promise<void>;
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
  /** Forgets delivery IDs seen before `before` (the dedupe window). */
  prune(before: number): Promise<void>;
  close(): Promise<void>;
}
