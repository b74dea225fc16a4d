import { randomInt } from "node:crypto";

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/**
 * 40 random alphanumerics (about 238 bits): inside what Sourcegraph's own form accepts
 * (`^[a-zA-Z0-9]+$`, at most 100), and safe in any code host's secret field.
 */
export function generateSecret(length = 40): string {
  let out = "";
  for (let i = 0; i < length; i++) out += ALPHABET[randomInt(ALPHABET.length)];
  return out;
}
