// Proves serve's flags for the bounds on unverified requests show their defaults, are checked and apply.
// `sg-webhooks serve`'s flags for the bounds on unverified requests: listed with their defaults,
// checked with messages that name them, and wired to the relay (a connection cap of one).
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { tempDir } from "./helpers";
import { openRequest } from "./raw-client";

const MAIN = join(__dirname, "..", "..", "dist", "src", "cli", "main.js");
const run = promisify(execFile);
const children: ChildProcess[] = [];
afterAll(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
});

function baseArgs(): string[] {
  const dir = tempDir();
  const receivers = join(dir, "receivers.json");
  writeFileSync(
    receivers,
    JSON.stringify([{ uuid: randomUUID(), codeHostKind: "GITHUB", secrets: ["s3cret"] }]),
  );
  return [
    "serve",
    "--listen",
    "127.0.0.1:0",
    "--admin-listen",
    "off",
    "--forward-to",
    "http://127.0.0.1:9",
    "--receivers",
    receivers,
    "--data-dir",
    join(dir, "data"),
  ];
}

async function fails(args: string[]): Promise<{ code: number; stderr: string }> {
  try {
    await run(process.execPath, [MAIN, ...args]);
  } catch (err) {
    const e = err as { code: number; stderr: string };
    return { code: e.code, stderr: e.stderr };
  }
  throw new Error("serve did not fail");
}

describe("serve: the bounds on unverified requests", () => {
  it("lists --max-unverified-bytes, --max-connections and --min-body-rate with their defaults", async () => {
    const { stdout } = await run(process.execPath, [MAIN, "serve", "--help"]);
    const help = stdout.replace(/\s+/g, " ");
    expect(help).toMatch(/--max-unverified-bytes <n> .*\(default: "67108864"\)/);
    expect(help).toMatch(/--max-connections <n> .*\(default: "1024"\)/);
    expect(help).toMatch(/--min-body-rate <bytes-per-second> .*\(default: "10240"\)/);
  });

  it("refuses values that cannot work, naming the flag", async () => {
    expect(await fails([...baseArgs(), "--max-connections", "0"])).toMatchObject({
      code: 1,
      stderr: expect.stringContaining('--max-connections "0" must be a positive integer'),
    });
    expect(await fails([...baseArgs(), "--min-body-rate", "fast"])).toMatchObject({
      code: 1,
      stderr: expect.stringContaining('--min-body-rate "fast" must be a positive integer'),
    });
    expect(
      await fails([...baseArgs(), "--max-body-bytes", "2000", "--max-unverified-bytes", "1000"]),
    ).toMatchObject({
      code: 1,
      stderr: expect.stringContaining(
        "--max-unverified-bytes (1000) is smaller than --max-body-bytes (2000)",
      ),
    });
  });

  it("--max-connections 1: a second connection is closed at once", async () => {
    const proc = spawn(process.execPath, [MAIN, ...baseArgs(), "--max-connections", "1"], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    children.push(proc);
    const url = await new Promise<string>((resolve, reject) => {
      let buf = "";
      proc.stdout!.on("data", (c) => {
        buf += String(c);
        const line = buf.split("\n").find((l) => l.includes('"relay ready"'));
        if (line) resolve(JSON.parse(line).url);
      });
      proc.once("exit", (code) => reject(new Error(`serve exited ${code}`)));
    });
    const first = openRequest(url, "/healthz", { "content-length": "0" });
    expect(await first.answer).toMatchObject({ status: 200 });
    const second = openRequest(url, "/healthz", { "content-length": "0" });
    expect(await second.answer).toBeUndefined();
    first.socket.destroy();
    proc.kill("SIGTERM");
  });
});
