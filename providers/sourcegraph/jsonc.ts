// A code host connection's configuration is JSONC: JSON with `//` and `/* */` comments and trailing
// commas (Sourcegraph's JSONCString scalar). Its `url` names the code host, as Sourcegraph's own UI
// reads it (client/web/src/site-admin/WebhookCreateUpdatePage.tsx: parseJSONC(config).url). The rest
// of the configuration (tokens, redacted or not) is never kept.

/** Index just past the string literal that opens at `i`. */
function stringEnd(text: string, i: number): number {
  let j = i + 1;
  while (j < text.length && text[j] !== '"') j += text[j] === "\\" ? 2 : 1;
  return j + 1;
}

/** The text without comments, strings left intact. */
function withoutComments(text: string): string {
  let out = "";
  let i = 0;
  while (i < text.length) {
    if (text[i] === '"') {
      const j = stringEnd(text, i);
      out += text.slice(i, j);
      i = j;
    } else if (text.startsWith("//", i)) {
      while (i < text.length && text[i] !== "\n") i++;
    } else if (text.startsWith("/*", i)) {
      const end = text.indexOf("*/", i + 2);
      i = end < 0 ? text.length : end + 2;
    } else {
      out += text[i++];
    }
  }
  return out;
}

/** The text without comments and without commas before `}` or `]`, strings left intact. */
export function stripJsonc(text: string): string {
  const plain = withoutComments(text);
  let out = "";
  let i = 0;
  while (i < plain.length) {
    if (plain[i] === '"') {
      const j = stringEnd(plain, i);
      out += plain.slice(i, j);
      i = j;
      continue;
    }
    if (plain[i] === ",") {
      let j = i + 1;
      while (j < plain.length && /\s/.test(plain[j]!)) j++;
      if (plain[j] === "}" || plain[j] === "]") {
        i++;
        continue;
      }
    }
    out += plain[i++];
  }
  return out;
}

/** The configuration's top-level `url`, or undefined when there is none or the text does not parse. */
export function configUrl(config: string): string | undefined {
  try {
    const parsed = JSON.parse(stripJsonc(config)) as { url?: unknown };
    return typeof parsed?.url === "string" && parsed.url.trim() !== "" ? parsed.url : undefined;
  } catch {
    return undefined;
  }
}
