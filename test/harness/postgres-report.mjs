// Shows that the PostgreSQL tests ran: reads the starts log that postgres-server.mjs appends to when
// SG_WEBHOOKS_POSTGRES_LOG names it, prints one summary line, and exits 1 when no server started
// (the tests were skipped or never reached PostgreSQL). `node postgres-report.mjs <log file>`.
import { existsSync, readFileSync } from "node:fs";

const file = process.argv[2];
const lines = file && existsSync(file) ? readFileSync(file, "utf8").split("\n").filter(Boolean) : [];
const events = lines.map((l) => JSON.parse(l));
const starts = events.filter((e) => e.event === "start");
if (starts.length === 0) {
  console.error(`PostgreSQL tests: no server started (log: ${file ?? "none given"}); they did not run.`);
  process.exit(1);
}
const count = (pred) => starts.filter(pred).length;
const kinds = [...new Set(starts.map((s) => `${s.source} ${s.version}`))]
  .map((kind) => `${count((s) => `${s.source} ${s.version}` === kind)} ${kind}`)
  .join(", ");
const files = new Set(starts.map((s) => s.label).filter(Boolean)).size;
const plural = (n, noun) => `${n} ${noun}${n === 1 ? "" : "s"}`;
const seconds = (ms) => (ms / 1000).toFixed(1);
const startMs = starts.reduce((sum, s) => sum + s.startMs, 0);
const upMs = events.filter((e) => e.event === "stop").reduce((sum, s) => sum + s.upMs, 0);
console.log(
  `PostgreSQL tests: ${plural(starts.length, "server")} started (${kinds}) in ${plural(files, "test file")}; ` +
    `${seconds(startMs)} s starting them, ${seconds(upMs)} s up in all.`,
);
