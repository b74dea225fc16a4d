// Opens one of the relay's two listeners. A failure names the listener and its flag: the relay
// opens a second port (metrics) by default, which an operator who gave only --listen does not
// expect to be in use.
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { RELAY_DEFAULTS } from "./defaults";

export type ListenerName = "main" | "admin";

const ROLE: Record<ListenerName, { flag: string; what: string }> = {
  main: { flag: "--listen", what: "the listener for deliveries (and /healthz, /readyz)" },
  admin: {
    flag: "--admin-listen",
    what: `the metrics listener, which the relay opens on ${RELAY_DEFAULTS.adminListen} unless told otherwise`,
  },
};

/** Listens on `at`; resolves with the URL it listens on. */
export function listen(
  server: Server,
  at: { host: string; port: number },
  name: ListenerName,
): Promise<string> {
  return new Promise((resolve, reject) => {
    const fail = (err: Error) => reject(listenError(err, at, name));
    server.once("error", fail);
    server.listen(at.port, at.host, () => {
      server.off("error", fail);
      const a = server.address() as AddressInfo;
      const host = a.family === "IPv6" ? `[${a.address}]` : a.address;
      resolve(`http://${host}:${a.port}`);
    });
  });
}

export function listenError(err: Error, at: { host: string; port: number }, name: ListenerName): Error {
  const { flag, what } = ROLE[name];
  const address = `${at.host.includes(":") ? `[${at.host}]` : at.host}:${at.port}`;
  const code = (err as { code?: string }).code;
  const lead = `${flag} ${address}: cannot open ${what}:`;
  const other =
    name === "admin"
      ? `give another ${flag} HOST:PORT, or ${flag} off to run without metrics`
      : `give another ${flag} HOST:PORT`;
  switch (code) {
    case "EADDRINUSE":
      return new Error(`${lead} the address is in use by another process; stop it, or ${other}`, {
        cause: err,
      });
    case "EACCES":
      return new Error(
        `${lead} permission denied${at.port < 1024 ? ` (ports below 1024 need privileges: use a higher port, and let a load balancer or the firewall map ${at.port} to it)` : ""}; ${other}`,
        { cause: err },
      );
    case "EADDRNOTAVAIL":
      return new Error(
        `${lead} ${at.host} is not an address of this machine; ${other}, such as 0.0.0.0:${at.port} for every interface`,
        { cause: err },
      );
    case "ENOTFOUND":
    case "EAI_AGAIN":
      return new Error(`${lead} the host name ${at.host} does not resolve; ${other}`, { cause: err });
    default:
      return new Error(`${lead} ${err.message}; ${other}`, { cause: err });
  }
}
