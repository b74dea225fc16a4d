// `npm run bench`: every benchmark and drill, one after another, each in a process of its own so
// none inherits another's heap or sockets. Each part also runs alone (`node bench/<part>.mjs`).
//   npm run bench                    all parts
//   npm run bench -- ingest drills   some of them: ingest, provision, drills, hostile, postgres
import { spawn } from "node:child_process";
import { cpus, totalmem } from "node:os";
import { join } from "node:path";

const PARTS = {
  ingest: ["ingest.mjs"],
  provision: ["provision.mjs"],
  drills: ["drill-relay.mjs", "drill-provision.mjs"],
  hostile: ["drill-hostile.mjs"],
  postgres: ["drill-postgres.mjs", "postgres-scale.mjs"],
};
// Every part together; the ingest part alone takes four to five minutes on a busy two-core machine.
const LIMIT_MS = 30 * 60_000;

const asked = process.argv.slice(2);
const unknown = asked.filter((p) => !(p in PARTS));
if (unknown.length > 0) {
  console.error(`unknown part(s): ${unknown.join(", ")}; choose from ${Object.keys(PARTS).join(", ")}`);
  process.exit(2);
}
const scripts = (asked.length > 0 ? asked : Object.keys(PARTS)).flatMap((p) => PARTS[p]);

const started = Date.now();
let current;
let overtime = false;
setTimeout(() => {
  overtime = true;
  console.error(`bench: stopped after ${LIMIT_MS / 60_000} minutes`);
  // SIGTERM first: the drills then end their children and remove their scratch directories.
  current?.kill("SIGTERM");
  setTimeout(() => {
    current?.kill("SIGKILL");
    process.exit(2);
  }, 5000).unref();
}, LIMIT_MS).unref();

function run(script) {
  return new Promise((resolve) => {
    const t = Date.now();
    current = spawn(process.execPath, [join(import.meta.dirname, script)], { stdio: "inherit" });
    current.once("exit", (code, signal) =>
      resolve({ script, code: code ?? signal, seconds: (Date.now() - t) / 1000 }),
    );
  });
}

const cpu = cpus();
console.log(
  `Machine: ${cpu.length} x ${cpu[0]?.model ?? "unknown CPU"}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, ${new Date().toISOString().slice(0, 10)}\n`,
);
const outcomes = [];
for (const script of scripts) {
  console.log(`=== ${script} ===`);
  outcomes.push(await run(script));
  if (overtime) process.exit(2);
  console.log("");
}
for (const o of outcomes) {
  console.log(`${o.code === 0 ? "ok    " : "FAILED"} ${o.script} (${o.seconds.toFixed(0)} s)`);
}
console.log(`all in ${((Date.now() - started) / 1000).toFixed(0)} s`);
process.exitCode = outcomes.every((o) => o.code === 0) ? 0 : 1;
