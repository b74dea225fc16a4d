// Proves coalesced calls for one key never share a call already on its way: a read-back sees the write.
// Overlapping calls for one key share a call sent after each of them asked, never one already on
// its way: a read-back after a write must see the write.
import { describe, expect, it } from "vitest";
import { coalesce } from "../../providers/shared";

/** A call whose answer the test gives by hand; `sent` counts the calls made. */
function manual() {
  const pending: Array<(v: number) => void> = [];
  let sent = 0;
  const fn = () =>
    new Promise<number>((resolve) => {
      sent++;
      pending.push(resolve);
    });
  return { fn, pending, sent: () => sent };
}

const tick = () => new Promise((r) => setImmediate(r));

describe("coalesce", () => {
  it("callers that arrive while a call is in flight share the next one, sent when it ends", async () => {
    const m = manual();
    const first = coalesce("k", m.fn);
    const second = coalesce("k", m.fn);
    const third = coalesce("k", m.fn);
    expect(m.sent()).toBe(1);
    m.pending[0]!(1);
    expect(await first).toBe(1);
    await tick();
    // The second and third asked after the first call was sent: they get a newer answer.
    expect(m.sent()).toBe(2);
    m.pending[1]!(2);
    expect(await Promise.all([second, third])).toEqual([2, 2]);
  });

  it("keys do not share, a failure reaches every caller of that call, and the key is free again after", async () => {
    const m = manual();
    const a = coalesce("a", m.fn);
    const b = coalesce("b", m.fn);
    expect(m.sent()).toBe(2);
    m.pending[0]!(1);
    m.pending[1]!(2);
    expect([await a, await b]).toEqual([1, 2]);

    let calls = 0;
    const failing = () => {
      calls++;
      return Promise.reject(new Error("boom"));
    };
    const x = coalesce("c", failing);
    const y = coalesce("c", failing);
    const z = coalesce("c", failing);
    await expect(x).rejects.toThrow("boom");
    await expect(y).rejects.toThrow("boom");
    await expect(z).rejects.toThrow("boom");
    expect(calls).toBe(2);
    expect(await coalesce("c", async () => 7)).toBe(7);
  });
});
