// Stops a test PostgreSQL and deletes its directory once the process that started it is gone, even
// when that process was killed with SIGKILL (a vitest fork, a benchmark, a test runner stopped by
// its deadline) and so ran no handler: the postmaster lives in its own session (pg_ctl starts it
// so) and would otherwise outlive it. Started detached by postgres-server.mjs, one per server.
//
// argv[2] is JSON: { dir, pgCtl, uid?, gid?, lifetimeMs }. The parent holds this process's stdin:
// the line "done" means it stopped the server itself; end of input without it means the parent died.
// Also stops the server after `lifetimeMs` however the parent is doing, since test servers must
// stop by themselves.
import { spawnSync } from "node:child_process";
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";

const { dir, pgCtl, uid, gid, lifetimeMs } = JSON.parse(process.argv[2]);
const data = join(dir, "data");
const parent = process.ppid;
let input = "";
let ending = false;

function postmasterPid() {
  try {
    return Number(readFileSync(join(data, "postmaster.pid"), "utf8").split("\n", 1)[0]);
  } catch {
    return undefined;
  }
}

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return err.code === "EPERM";
  }
}

function stopServer() {
  const pid = postmasterPid();
  if (!pid || !alive(pid)) return;
  // Immediate: nothing is waiting for this server's data any more.
  spawnSync(pgCtl, ["stop", "-D", data, "-m", "immediate", "-w", "-t", "10"], {
    uid,
    gid,
    cwd: "/",
    stdio: "ignore",
    timeout: 15_000,
  });
  if (alive(pid)) process.kill(pid, "SIGKILL");
}

async function cleanUp() {
  if (ending) return;
  ending = true;
  // Twice: a parent killed during initdb or pg_ctl start leaves those running for a moment, and
  // they may bring the server up or write into the directory after the first pass.
  for (const pass of [1, 2]) {
    stopServer();
    rmSync(dir, { recursive: true, force: true });
    if (pass === 1) await sleep(1000);
  }
  process.exit(0);
}

process.stdin.setEncoding("utf8");
process.stdin.on("data", (chunk) => {
  input += chunk;
  if (input.split("\n").includes("done")) process.exit(0);
});
process.stdin.on("end", cleanUp);
process.stdin.on("error", cleanUp);
// A backstop for a pipe held open by something else: the parent's death re-parents this process.
setInterval(() => {
  if (process.ppid !== parent) void cleanUp();
}, 500);
setTimeout(cleanUp, lifetimeMs);
