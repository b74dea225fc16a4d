// doctor's default output: one block per connection, one line per check, each finding followed by
// its fix, and a count at the end.
import type { Check, Report, Status } from "../types";

const LABEL: Record<Status, string> = { ok: "ok", warn: "WARN", fail: "FAIL", skip: "skip" };

/** The most a target column takes; a longer target pushes its line's message right. */
const MAX_TARGET = 44;

function line(c: Check, checkWidth: number, targetWidth: number): string {
  const what = c.status === "ok" || c.status === "skip" ? c.message : `${c.code}: ${c.message}`;
  const head = `  ${LABEL[c.status].padEnd(4)}  ${c.check.padEnd(checkWidth)}  ${c.target.padEnd(targetWidth)}  ${what}`;
  const fix = c.fix && c.status !== "ok" ? `\n${" ".repeat(8)}fix: ${c.fix}` : "";
  return `${head.trimEnd()}${fix}`;
}

export function renderHuman(report: Report): string {
  const checkWidth = Math.max(0, ...report.checks.map((c) => c.check.length));
  const targetWidth = Math.min(MAX_TARGET, Math.max(0, ...report.checks.map((c) => c.target.length)));
  const out: string[] = [];
  const connections = [...new Set(report.checks.map((c) => c.connection))];
  for (const connection of connections) {
    out.push(connection);
    for (const c of report.checks.filter((x) => x.connection === connection))
      out.push(line(c, checkWidth, targetWidth));
    out.push("");
  }
  const count = (s: Status) => report.checks.filter((c) => c.status === s).length;
  out.push(
    `${report.ok ? "all well" : "problems found"}: ${count("ok")} ok, ${count("warn")} warning(s), ${count("fail")} failure(s), ${count("skip")} skipped`,
  );
  return `${out.join("\n")}\n`;
}
