// The relay's durable queue, behind one interface for SQLite (one relay) and PostgreSQL (any number
// of relays on one database): add (with dedupe), claim what is due under a lease, settle each
// delivery by its claim, the dead-letter commands, and the record of what Sourcegraph answered,
// kept without the body for the dedupe window.
//
// Claims are what keep two relays (or the two paths in one relay: the fresh delivery handed over
// in memory, and the query for what is due) from sending a delivery twice. A pending delivery is
// either free or claimed by one relay until its lease ends; the holder renews the lease while it
// works (heartbeat) and settles by the claim, so a holder whose lease expired and was taken over
// changes nothing. Times are the callers' clocks in ms since the epoch: relays sharing a database
// need synchronized clocks (NTP), far tighter than a lease.
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
  /**
   * The code host's own `sha256=` signature of the body, verified on arrival (GitHub and Bitbucket;
   * never a GitLab token), kept while the delivery is pending so that it can be forwarded as it is
   * instead of signed again. A store keeps it as given and drops it when the delivery is settled or
   * dead-lettered.
   */
  readonly signature?: StoredSignature;
}

/** A verified signature header, and which secret made it (see SignatureReuse in the relay). */
export interface StoredSignature {
  /** The header's value, `sha256=<hex>`. */
  readonly value: string;
  /**
   * A fingerprint of the secret that made it, keyed by the relay process that verified it: it
   * reveals nothing of the secret, and matches nothing in another process.
   */
  readonly secret: string;
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

/** Who claims, and for how long. */
export interface Lease {
  /** The relay process holding the claim (a random ID it makes at start and logs). */
  readonly owner: string;
  /** How long a claim holds without a heartbeat; after that any relay may take the delivery. */
  readonly ms: number;
}

/** A claim on one pending delivery: settling needs both. */
export interface ClaimRef {
  readonly id: number;
  /** A fresh random ID for every claim, so a stale holder cannot act on a newer claim. */
  readonly claimId: string;
}

/** A pending delivery claimed by the caller, for it to forward and settle. */
export interface ClaimedDelivery extends StoredDelivery {
  readonly claimId: string;
}

/** What `add` did with a delivery. */
export interface AddResult {
  /** The stored delivery's id (for a duplicate, the one it duplicates when still recorded). */
  readonly id: number;
  /** Already accepted (pending, delivered or ignored): not stored again. */
  readonly duplicate: boolean;
  /** A redelivery of a dead letter: its bytes replaced the old ones and it is pending again. */
  readonly revived: boolean;
  /**
   * Set when this call stored or revived the delivery: it is stored already claimed by the lease
   * given to `add`, so the caller forwards it and no one else can before the lease ends.
   */
  readonly claimId?: string;
}

export interface DeliveryStore {
  /**
   * Durably stores a delivery, claimed under `lease`; resolves only once it is committed. A
   * delivery whose key (receiver, delivery ID, hook ID) is already stored is a duplicate, unless
   * the stored one is a dead letter (expired ones included): then the new bytes replace it, and it
   * is pending again (claimed under `lease`) with no attempts and a fresh retry window.
   */
  add(delivery: NewDelivery, lease: Lease): Promise<AddResult>;
  /**
   * Claims up to `limit` pending deliveries due at `now` that no live claim holds (free, or their
   * lease ended before `now`), oldest due first, each under a new claim ID. Two callers never get
   * the same delivery while its lease lasts.
   */
  claim(now: number, limit: number, lease: Lease): Promise<ClaimedDelivery[]>;
  /**
   * Renews the leases of `claims` until `now + lease.ms`. Resolves with those no longer held
   * (settled, released, or taken over after their lease ended): their holder must drop them.
   */
  heartbeat(claims: readonly ClaimRef[], now: number, lease: Lease): Promise<ClaimRef[]>;
  /** Gives claims back unchanged (shutdown, more than the relay can hold): free to claim at once. */
  release(claims: readonly ClaimRef[]): Promise<void>;
  /**
   * Forwarded (or ignored by Sourcegraph) at `now`: nothing more to do. Its body and headers are
   * dropped; the record of Sourcegraph's answer stays for the dedupe window. Each settling call
   * acts only while `claim` is still held, and resolves false (changing nothing) otherwise.
   */
  complete(
    claim: ClaimRef,
    outcome: "delivered" | "ignored",
    result: AttemptResult,
    now: number,
  ): Promise<boolean>;
  /** An attempt at `now` failed; the next is due at `at`. The claim ends. */
  retryLater(claim: ClaimRef, at: number, result: AttemptResult, now: number): Promise<boolean>;
  /** Dead-lettered at `now` (the body is kept for replay). */
  deadLetter(claim: ClaimRef, reason: string, result: AttemptResult, now: number): Promise<boolean>;
  /**
   * Frees the claims whose lease ended before `now`, so that their deliveries are claimed again;
   * resolves with how many. (Expired claims are claimable anyway; the sweep makes them visible in
   * the rows and the counts, and runs on one relay at a time.)
   */
  sweep(now: number): Promise<number>;
  /**
   * When a claim could next be made: the earliest due time of a free pending delivery, or the
   * earliest end of a lease held by another owner than `owner`; undefined when nothing is pending.
   */
  nextDueAt(owner: string): Promise<number | undefined>;
  counts(): Promise<{ pending: number; dead: number }>;
  listDead(limit?: number): Promise<DeadDelivery[]>;
  /**
   * Puts dead deliveries back in the queue, free and due now, with a fresh retry window; with
   * `retarget`, for another receiver of the same kind (dead letters of another kind are left as
   * they are). Resolves with how many were queued.
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
