// `sg-webhooks diff` for a terminal or a CI log: what needs attention first, then every change by
// connection, each with its resource name as `pulumi preview` shows it.
import type { ReviewedChange } from "./change";
import { connectionsOf, kindCounts, totals } from "./summary";

/** The diff as text; `base` and `head` name the two declarations. */
export function renderText(changes: readonly ReviewedChange[], base: string, head: string): string {
  if (changes.length === 0)
    return `No webhook changes from ${base} to ${head}: both deploy the same receivers and hooks (order aside).\n`;
  const lines = [`Webhook changes from ${base} to ${head}: ${totals(changes)} (${kindCounts(changes)}).`];
  const loud = changes.filter((c) => c.attention);
  if (loud.length > 0) {
    lines.push("", `NEEDS ATTENTION (${loud.length}):`);
    for (const c of loud) lines.push(`  ! ${c.connection}: ${c.attention}: ${c.resource || c.kind}`);
  }
  const width = Math.max(...changes.map((c) => c.kind.length));
  for (const connection of connectionsOf(changes)) {
    lines.push("", connection);
    for (const c of changes.filter((x) => x.connection === connection)) {
      lines.push(`  ${c.attention ? "!" : " "} ${c.kind.padEnd(width)}  ${c.resource}`.trimEnd());
      lines.push(`      ${c.detail}`);
    }
  }
  return `${lines.join("\n")}\n`;
}
