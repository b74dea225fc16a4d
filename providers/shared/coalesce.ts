// Overlapping reads of the same list share one request. The Bitbucket Server plugin has no call
// that reads one hook: every create, read and update lists all of them, so refreshing N hooks
// would fetch N lists of N hooks each. Callers that arrive while a list is in flight wait for the
// next one, sent as soon as that one ends, and share it: no caller ever gets an answer to a
// request sent before it asked (a read-back after a write must see the write).

interface Slot {
  inFlight?: Promise<unknown>;
  /** The next call, not sent yet, that callers arriving now join. */
  next?: Promise<unknown>;
}

const slots = new Map<string, Slot>();

/**
 * Runs `fn`, or joins a call of `fn` for the same `key` that has not been sent yet. The key must
 * name everything the answer depends on (the instance and the credential).
 */
export function coalesce<T>(key: string, fn: () => Promise<T>): Promise<T> {
  let slot = slots.get(key);
  if (!slot) {
    slot = {};
    slots.set(key, slot);
  }
  const s = slot;
  if (s.next) return s.next as Promise<T>;

  const start = async (): Promise<T> => {
    s.next = undefined;
    // A synchronous throw becomes this call's rejection, so the slot is always released.
    const call = (async () => fn())();
    s.inFlight = call;
    try {
      return await call;
    } finally {
      if (s.inFlight === call) s.inFlight = undefined;
      if (!s.inFlight && !s.next) slots.delete(key);
    }
  };
  if (!s.inFlight) return start();
  const next = s.inFlight.then(start, start);
  s.next = next;
  return next;
}
