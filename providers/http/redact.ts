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
