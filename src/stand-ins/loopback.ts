// The stand-ins deliver only to this machine: a stand-in that a test or the sandbox points at an
// outside URL must never send it anything.
import { isIP } from "node:net";

/** 127.0.0.0/8, ::1 and localhost. */
export function isLoopback(url: string): boolean {
  let host: string;
  try {
    host = new URL(url).hostname.replace(/^\[|\]$/g, "");
  } catch {
    return false;
  }
  if (host === "localhost") return true;
  if (isIP(host) === 4) return host.startsWith("127.");
  if (isIP(host) === 6) return host === "::1" || host === "0:0:0:0:0:0:0:1";
  return false;
}
