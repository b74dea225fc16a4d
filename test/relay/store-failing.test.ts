// Proves a store that cannot commit makes the relay answer 503, never 202, and loses nothing.
// The code host (or its operator) sends the delivery again, and the retry is taken: a refused add
// is not remembered as seen.
import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { SqliteStore, startRelay } from "../../src/relay";
import { startReceiverFake } from "../../src/stand-ins/receiver";
import { captureLogger, post, sha, storeWith, tempDir, waitFor } from "./helpers";

describe("a store that fails", () => {
  it("is answered 503, never 202, and the delivery is taken when it is sent again", async () => {
    const u = randomUUID();
    const sg = await startReceiverFake([{ uuid: u, codeHostKind: "BITBUCKETCLOUD", secret: "s" }]);
    const dir = tempDir();
    const real = new SqliteStore(dir);
    let full = true;
    const store = storeWith(real, {
      add: (d, lease) =>
        full ? Promise.reject(new Error("SQLITE_FULL: database or disk is full")) : real.add(d, lease),
    });
    const relay = await startRelay({
      listen: { host: "127.0.0.1", port: 0 },
      forwardTo: sg.url,
      receivers: { list: [{ uuid: u, codeHostKind: "BITBUCKETCLOUD", secrets: ["s"] }] },
      dataDir: dir,
      store,
      logger: captureLogger().logger,
    });
    const b = Buffer.from('{"n":1}');
    const headers = {
      "x-event-key": "repo:push",
      "x-request-uuid": randomUUID(),
      "x-hub-signature": sha("sha256", "s", b),
    };
    const hook = `${relay.url}/.api/webhooks/${u}`;
    expect((await post(hook, headers, b)).status).toBe(503);
    full = false;
    // Not remembered as seen either: the code host's retry of the same request goes through.
    expect((await post(hook, headers, b)).status).toBe(202);
    await waitFor(() => sg.accepted.length === 1, 5000, "the delivery to be forwarded");
    await relay.close();
    await sg.close();
  });
});
