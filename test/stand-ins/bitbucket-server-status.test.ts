// The Bitbucket Server plugin stand-in keeps what doctor's probe reads after re-registering a hook
// (reference/delivery-verification.md A3): the POST pings again, `lastEvent` is the time of the
// last successful dispatch and `lastError` the last failure (at most 255 characters), cleared by a
// success.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type BitbucketServerFake,
  PLUGIN_PATH,
  startBitbucketServerFake,
} from "../../src/stand-ins/bitbucket-server";
import { startTestReceiver, type TestReceiver } from "./receiver-server";

let bbs: BitbucketServerFake;
let rx: TestReceiver;

beforeAll(async () => {
  rx = await startTestReceiver();
  bbs = await startBitbucketServerFake({ deliverTestEvents: true });
});
afterAll(async () => {
  await bbs.close();
  await rx.close();
});

const register = async () => {
  const res = await fetch(`${bbs.url}${PLUGIN_PATH}`, {
    method: "POST",
    headers: { authorization: "Bearer bbs-admin-token", "content-type": "application/json" },
    body: JSON.stringify({
      name: "sg",
      scope: "global",
      events: ["repo:refs_changed"],
      endpoint: `${rx.url}/bbs`,
      secret: "s3cret",
    }),
  });
  await bbs.settled();
  return res.status;
};

describe("Bitbucket Server plugin stand-in: delivery status", () => {
  it("pings on every re-registration, recording lastEvent on success and lastError on failure", async () => {
    expect(await register()).toBe(204);
    expect(rx.received.at(-1)!.headers["x-event-key"]).toBe("ping");
    const ok = bbs.webhook("sg")!;
    expect(ok.lastError).toBeUndefined();
    expect(Date.parse(ok.lastEvent!)).toBeGreaterThan(Date.now() - 60_000);

    rx.answer = { status: 400, body: "Could not validate payload with secret." };
    const pings = rx.received.length;
    expect(await register()).toBe(204);
    expect(rx.received.length).toBe(pings + 1);
    const failed = bbs.webhook("sg")!;
    expect(failed.lastError).toMatch(/400/);
    expect(failed.lastError!.length).toBeLessThanOrEqual(255);
    expect(failed.lastEvent).toBe(ok.lastEvent);

    rx.answer = { status: 200 };
    await register();
    expect(bbs.webhook("sg")!.lastError).toBeUndefined();
  });
});
