// A raw HTTP/1.1 client for the relay's bounds: it sends a request's head and as much of its body
// as a test likes, when it likes, and reads the answer whenever it comes (even before the body is
// complete). undici cannot send half a body and wait.
import { connect, type Socket } from "node:net";

export interface RawAnswer {
  readonly status: number;
  /** Lowercase names. */
  readonly headers: Readonly<Record<string, string>>;
  readonly text: string;
}

export interface RawRequest {
  readonly socket: Socket;
  /** The answer, once complete; undefined when the connection closed without one. */
  readonly answer: Promise<RawAnswer | undefined>;
  /** Resolves when the connection is closed, by either side. */
  readonly closed: Promise<void>;
  /** Sends body bytes; false once the connection is gone. */
  send(bytes: Uint8Array | string): boolean;
}

/** Opens a connection and sends `POST path` with `headers` (a list sends the header once per value). */
export function openRequest(
  url: string,
  path: string,
  headers: Readonly<Record<string, string | readonly string[]>>,
): RawRequest {
  const { hostname, port } = new URL(url);
  const socket = connect(Number(port), hostname);
  socket.on("error", () => {});
  const lines = [`POST ${path} HTTP/1.1`, `Host: ${hostname}`];
  for (const [name, value] of Object.entries(headers)) {
    for (const v of typeof value === "string" ? [value] : value) lines.push(`${name}: ${v}`);
  }
  socket.write(`${lines.join("\r\n")}\r\n\r\n`);
  const closed = new Promise<void>((resolve) => socket.once("close", () => resolve()));
  const answer = new Promise<RawAnswer | undefined>((resolve) => {
    let buf = Buffer.alloc(0);
    const tryParse = () => {
      const end = buf.indexOf("\r\n\r\n");
      if (end < 0) return;
      const [statusLine, ...rest] = buf.subarray(0, end).toString("latin1").split("\r\n");
      const parsed: Record<string, string> = {};
      for (const line of rest) {
        const colon = line.indexOf(":");
        parsed[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
      }
      const length = Number(parsed["content-length"] ?? 0);
      if (buf.length < end + 4 + length) return;
      socket.off("data", onData);
      resolve({
        status: Number(statusLine!.split(" ")[1]),
        headers: parsed,
        text: buf.subarray(end + 4, end + 4 + length).toString("utf8"),
      });
    };
    const onData = (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      tryParse();
    };
    socket.on("data", onData);
    void closed.then(() => resolve(undefined));
  });
  return {
    socket,
    answer,
    closed,
    send: (bytes) => {
      if (socket.destroyed || !socket.writable) return false;
      socket.write(bytes);
      return true;
    },
  };
}
