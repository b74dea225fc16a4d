// `sg-webhooks diff --format markdown`: the pull request comment. A heading, one summary line, a
// warning that a reviewer cannot scroll past for renames, removals, TLS turned off and unsigned
// deliveries, then a table per connection. Text from the declaration is escaped: a project path or
// a description cannot inject Markdown or HTML into the comment.
import type { ReviewedChange } from "./change";
import { connectionsOf, KIND_LABELS, kindCounts, totals } from "./summary";

/** Text with every character that Markdown or a table would read escaped. */
export function escapeMarkdown(text: string): string {
  return text
    .replace(/[\\`*_[\]#|~]/g, (c) => `\\${c}`)
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/\r?\n/g, " ");
}

/** A code span that holds any text: a fence longer than any run of backticks inside, pipes escaped for tables. */
export function code(text: string): string {
  const longest = Math.max(0, ...[...text.matchAll(/`+/g)].map((m) => m[0].length));
  const fence = "`".repeat(longest + 1);
  const pad = text.startsWith("`") || text.endsWith("`") ? " " : "";
  return `${fence}${pad}${text.replace(/\|/g, "\\|").replace(/\r?\n/g, " ")}${pad}${fence}`;
}

/** Event names such as `pull_request_review_comment` or `pullrequest:approved`: shown as code. */
const EVENT_NAME = /[A-Za-z0-9]+(?:[_:][A-Za-z0-9]+)+/g;

/** A sentence of the diff as Markdown: event names as code, everything else escaped. */
export function markdownText(text: string): string {
  let out = "";
  let at = 0;
  for (const m of text.matchAll(EVENT_NAME)) {
    out += escapeMarkdown(text.slice(at, m.index)) + code(m[0]);
    at = m.index + m[0].length;
  }
  return out + escapeMarkdown(text.slice(at));
}

const capitalized = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);

/** The diff as a pull request comment; `base` and `head` name the two declarations. */
export function renderMarkdown(changes: readonly ReviewedChange[], base: string, head: string): string {
  const lines = [`### Webhook changes in ${code(head)}`, ""];
  if (changes.length === 0) {
    lines.push(
      `No webhook changes compared with ${code(base)}: both deploy the same receivers and hooks (order aside).`,
    );
    return `${lines.join("\n")}\n`;
  }
  lines.push(`**${totals(changes)}** compared with ${code(base)}: ${kindCounts(changes)}.`);
  const loud = changes.filter((c) => c.attention);
  if (loud.length > 0) {
    lines.push(
      "",
      "> [!WARNING]",
      `> **${loud.length === 1 ? "1 change needs" : `${loud.length} changes need`} attention**`,
      ">",
    );
    for (const c of loud)
      lines.push(
        `> - **${capitalized(escapeMarkdown(c.attention!))}** in ${code(c.connection)}: ${markdownText(c.detail)}`,
      );
  }
  for (const connection of connectionsOf(changes)) {
    lines.push(
      "",
      `#### ${code(connection)}`,
      "",
      "| change | resource | what happens |",
      "| --- | --- | --- |",
    );
    for (const c of changes.filter((x) => x.connection === connection)) {
      const label = c.attention ? `**${KIND_LABELS[c.kind]}**` : KIND_LABELS[c.kind];
      lines.push(`| ${label} | ${c.resource ? code(c.resource) : ""} | ${markdownText(c.detail)} |`);
    }
  }
  lines.push(
    "",
    "<sub>From <code>sg-webhooks diff</code>: resource names as <code>pulumi preview</code> shows them; secrets are compared, never shown.</sub>",
  );
  return `${lines.join("\n")}\n`;
}
