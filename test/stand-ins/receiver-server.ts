// A loopback HTTP server for the stand-ins' delivery tests: records every request with its raw
// bytes and answers what the test sets (status, body, or a delay).
import * as http from "node:http";
import type { AddressInfo } from "node:net";

export interface Received {
  readonly method: string;
  readonly path: string;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: Buffer;
}

export interface TestReceiver {
  readonly url: string;
  readonly received: Received[];
  /** What to answer next; default 200 with an empty body. */
  answer: { status: number; body?: string; delayMs?: number };
  /** Resolves once `n` requests have arrived in total. */
  waitFor(n: number, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

export async function startTestReceiver(): Promise<TestReceiver> {
  const received: Received[] = [];
  const waiters: Array<{ n: number; resolve: () => void }> = [];
  const state: TestReceiver["answer"] = { status: 200 };
  const server = http.createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    received.push({
      method: req.method ?? "",
      path: req.url ?? "",
      headers: req.headers,
      body: Buffer.concat(chunks),
    });
    for (const w of [...waiters]) if (received.length >= w.n) w.resolve();
    const { status, body, delayMs } = fake.answer;
    if (delayMs) await new Promise((r) => setTimeout(r, delayMs));
    if (!res.destroyed) res.writeHead(status, { "content-type": "text/plain" }).end(body ?? "");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const fake: TestReceiver = {
    url: `http://127.0.0.1:${port}`,
    received,
    answer: state,
    waitFor: (n, timeoutMs = 5_000) =>
      received.length >= n
        ? Promise.resolve()
        : new Promise<void>((resolve, reject) => {
            const timer = setTimeout(
              () => reject(new Error(`only ${received.length} of ${n} requests arrived`)),
              timeoutMs,
            );
            waiters.push({
              n,
              resolve: () => {
                clearTimeout(timer);
                resolve();
              },
            });
          }),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  return fake;
}
