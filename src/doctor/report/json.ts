// `doctor --json`: `{ "ok", "checks": [{ "connection", "target", "check", "status", "code",
// "message", "fix" }] }`, exactly as DESIGN section 3 pins it (keys in that order, nothing else).
import type { Report } from "../types";

export function renderJson(report: Report): string {
  const checks = report.checks.map((c) => ({
    connection: c.connection,
    target: c.target,
    check: c.check,
    status: c.status,
    code: c.code,
    message: c.message,
    fix: c.fix,
  }));
  return `${JSON.stringify({ ok: report.ok, checks }, null, 2)}\n`;
}
