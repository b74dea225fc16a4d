/**
 * Removes every known secret from a text before it reaches an error message or a log line.
 * Short values are skipped: replacing "a" everywhere would mangle the message and protect nothing.
 */
export function redact(text: string, secrets: ReadonlyArray<string | undefined>): string {
  let out = text;
  for (const s of secrets) {
    if (s && s.length >= 4) out = out.split(s).join("[redacted]");
  }
  return out;
}

/**
 * A server's answer, shortened for an error message. Redacted before it is cut: cutting first
 * could split a secret, and the part left in the message would no longer match it.
 */
export function excerpt(text: string, secrets: ReadonlyArray<string | undefined>, max = 300): string {
  const clean = redact(text.trim(), secrets);
  return clean.length > max ? `${clean.slice(0, max)}…` : clean;
}
