// redeliver's output: one line per event resent (or not, with why and the fix), and a count; or
// `{ "ok", "actions": [...] }` as JSON.
import type { Outcome, RedeliverReport } from "./types";

const LABEL: Record<Outcome, string> = {
  redelivered: "sent",
  would_redeliver: "would send",
  nothing: "ok",
  failed: "FAILED",
  not_retryable: "REFUSED",
  too_old: "TOO OLD",
  unsupported: "cannot",
  manual: "ACTION",
};

export function renderRedeliverHuman(report: RedeliverReport): string {
  const width = Math.max(0, ...report.actions.map((a) => LABEL[a.outcome].length));
  const lines = report.actions.map((a) => {
    const head = `${LABEL[a.outcome].padEnd(width)}  ${a.connection}  ${a.target}  ${a.message}`;
    return a.fix && a.outcome !== "redelivered" && a.outcome !== "would_redeliver" && a.outcome !== "nothing"
      ? `${head}\n${" ".repeat(width + 2)}fix: ${a.fix}`
      : head;
  });
  const n = (o: Outcome) => report.actions.filter((a) => a.outcome === o).length;
  const sent =
    n("redelivered") > 0 || n("would_redeliver") === 0
      ? `${n("redelivered")} sent again`
      : `${n("would_redeliver")} would be sent again (dry run)`;
  lines.push(
    "",
    `${sent}, ${n("not_retryable")} refused (not resent), ${n("too_old")} too old, ${n("failed")} failed, ${n("manual")} needing a person`,
  );
  return `${lines.join("\n")}\n`;
}

export function renderRedeliverJson(report: RedeliverReport): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}
