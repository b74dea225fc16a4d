// Proves the relay starts and stops cleanly: ports in use named, one relay per directory, drained shutdown.
// A failed start releases the data directory; a crashed relay's reused pid does not lock it; close()
// forwards what was acknowledged, and a client that never finishes cannot hold it past the grace.
import { randomUUID } from "node:crypto";
import { writeFileSync } from "node:fs";
import { connect, createServer } from "node:net";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { startRelay } from "../../src/relay";
import { startReceiverFake } from "../../src/stand-ins/receiver";
import { captureLogger, post, sha, tempDir } from "./helpers";

describe("start-up", () => {
  it("a port in use names the listener, its flag and the fix", async () => {
    const busy = createServer();
    await new Promise<void>((r) => busy.listen(0, "127.0.0.1", r));
    const port = (busy.address() as { port: number }).port;
    const opts = {
      forwardTo: "http://127.0.0.1:9",
      receivers: { list: [] },
      logger: captureLogger().logger,
    };
    try {
      await expect(
        startRelay({ ...opts, dataDir: tempDir(), listen: { host: "127.0.0.1", port } }),
      ).rejects.toThrow(
        `--listen 127.0.0.1:${port}: cannot open the listener for deliveries (and /healthz, /readyz): the address is in use by another process; stop it, or give another --listen HOST:PORT`,
      );
      await expect(
        startRelay({
          ...opts,
          dataDir: tempDir(),
          listen: { host: "127.0.0.1", port: 0 },
          adminListen: { host: "127.0.0.1", port },
        }),
      ).rejects.toThrow("--admin-listen off to run without metrics");
      // The directory is free again: the failed start released its lock.
      const dir = tempDir();
      await expect(
        startRelay({
          ...opts,
          dataDir: dir,
          listen: { host: "127.0.0.1", port: 0 },
          adminListen: { host: "127.0.0.1", port },
        }),
      ).rejects.toThrow(/in use/);
      await (await startRelay({ ...opts, dataDir: dir, listen: { host: "127.0.0.1", port: 0 } })).close();
    } finally {
      busy.close();
    }
  });

  /** A relay with no receivers and nowhere reachable to forward to: only its data directory matters. */
  const idleRelayOptions = (dataDir: string) => ({
    listen: { host: "127.0.0.1", port: 0 },
    forwardTo: "http://127.0.0.1:9",
    receivers: { list: [] },
    dataDir,
    logger: captureLogger().logger,
  });

  it("one relay per data directory", async () => {
    const dir = tempDir();
    const opts = idleRelayOptions(dir);
    const r = await startRelay(opts);
    await expect(startRelay(opts)).rejects.toThrow(/another relay .* uses/);
    await r.close();
    await (await startRelay(opts)).close();
  });

  it("a crashed relay's pid, now another live process's, does not lock the directory", async () => {
    const dir = tempDir();
    // After a crash or a power cut the dead relay's pid is reused (a live process that is no
    // relay), and in containers every relay has the same pid: neither may decide the lock.
    const reused = String(process.ppid);
    writeFileSync(join(dir, "relay.lock"), reused);
    writeFileSync(join(dir, "relay.pid"), reused);
    const opts = idleRelayOptions(dir);
    const r = await startRelay(opts);
    await expect(startRelay(opts)).rejects.toThrow(/another relay .* uses/);
    await r.close();
  });
});

describe("graceful shutdown", () => {
  it("close() forwards what was acknowledged before it returns", async () => {
    const u = randomUUID();
    const sg = await startReceiverFake([{ uuid: u, codeHostKind: "BITBUCKETCLOUD", secret: "s" }]);
    sg.inject({ kind: "latency", ms: 100, times: 100 });
    const relay = await startRelay({
      listen: { host: "127.0.0.1", port: 0 },
      forwardTo: sg.url,
      receivers: { list: [{ uuid: u, codeHostKind: "BITBUCKETCLOUD", secrets: ["s"] }] },
      dataDir: tempDir(),
      concurrency: 2,
      logger: captureLogger().logger,
    });
    const bodies = Array.from({ length: 6 }, (_, i) => Buffer.from(`{"n":${i}}`));
    for (const b of bodies) {
      expect(
        (
          await post(
            `${relay.url}/.api/webhooks/${u}`,
            { "x-event-key": "repo:push", "x-hub-signature": sha("sha256", "s", b) },
            b,
          )
        ).status,
      ).toBe(202);
    }
    expect(sg.accepted.length).toBeLessThan(bodies.length);
    await relay.close();
    expect(sg.accepted.length).toBe(bodies.length);
    await sg.close();
  });

  it("a client that never finishes its request does not hold close() past the grace period", async () => {
    const u = randomUUID();
    const sg = await startReceiverFake([{ uuid: u, codeHostKind: "BITBUCKETCLOUD", secret: "s" }]);
    const relay = await startRelay({
      listen: { host: "127.0.0.1", port: 0 },
      forwardTo: sg.url,
      receivers: { list: [{ uuid: u, codeHostKind: "BITBUCKETCLOUD", secrets: ["s"] }] },
      dataDir: tempDir(),
      shutdownGraceMs: 200,
      logger: captureLogger().logger,
    });
    const b = Buffer.from('{"n":1}');
    const headers = { "x-event-key": "repo:push", "x-hub-signature": sha("sha256", "s", b) };
    expect((await post(`${relay.url}/.api/webhooks/${u}`, headers, b)).status).toBe(202);
    // Headers and 10 of the 100 bytes it announced, then nothing: a stalled or hostile client.
    const { port } = new URL(relay.url);
    const slow = connect(Number(port), "127.0.0.1");
    const cut = new Promise<void>((r) => slow.once("close", () => r()));
    slow.on("error", () => {});
    slow.write(
      // A signature that could match, so the relay reads the body (a wrong one is refused unread).
      `POST /.api/webhooks/${u} HTTP/1.1\r\nHost: relay\r\nX-Event-Key: repo:push\r\nX-Hub-Signature: sha256=${"0".repeat(64)}\r\nContent-Length: 100\r\n\r\n{"n":2,   `,
    );
    await new Promise((r) => setTimeout(r, 100));
    let hung: NodeJS.Timeout | undefined;
    await Promise.race([
      relay.close(),
      new Promise((_, reject) => {
        hung = setTimeout(() => reject(new Error("close() waited for the stalled request")), 10_000);
      }),
    ]);
    clearTimeout(hung);
    await cut;
    // The acknowledged delivery was forwarded; the stalled one was never acknowledged nor stored.
    expect(sg.accepted.map((a) => a.body.toString())).toEqual(['{"n":1}']);
    await sg.close();
  }, 20_000);
});
