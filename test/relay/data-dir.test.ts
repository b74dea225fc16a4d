// Proves the relay's data directory and files are its user's alone, whatever the umask.
// The relay's files are its user's alone: the data directory 0700 and its files 0600 whatever the
// umask, an existing directory tightened on start (and said so), the receivers file's mode
// checked, and a data directory the relay cannot use refused with a message naming --data-dir.
import { randomUUID } from "node:crypto";
import { chmodSync, mkdirSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SqliteStore, startRelay } from "../../src/relay";
import { prepareDataDir } from "../../src/relay/data-dir";
import { captureLogger, tempDir } from "./helpers";

const mode = (path: string) => (statSync(path).mode & 0o777).toString(8);

/** A relay with one receiver and nowhere reachable to forward to: only its files matter here. */
function relayOptions(dataDir: string, receivers: { file: string } | { list: [] } = { list: [] }) {
  const logs = captureLogger();
  return {
    logs,
    options: {
      listen: { host: "127.0.0.1", port: 0 },
      forwardTo: "http://127.0.0.1:9",
      receivers,
      dataDir,
      logger: logs.logger,
    },
  };
}

// The usual umask, under which files were created readable by everyone.
let umask: number;
beforeAll(() => {
  umask = process.umask(0o022);
});
afterAll(() => {
  process.umask(umask);
});

describe("the data directory's modes", () => {
  it("a new data directory is 0700, and relay.db, its WAL and shared memory, the lock and pid files 0600", async () => {
    const dir = join(tempDir(), "nested", "data");
    const { options } = relayOptions(dir);
    const relay = await startRelay(options);
    try {
      expect(mode(dir)).toBe("700");
      // The parent created on the way is the relay's too.
      expect(mode(join(dir, ".."))).toBe("700");
      for (const f of ["relay.db", "relay.db-wal", "relay.db-shm", "relay.lock", "relay.pid"])
        expect(`${f} ${mode(join(dir, f))}`).toBe(`${f} 600`);
    } finally {
      await relay.close();
    }
  });

  it("an existing directory left readable by an older relay is tightened on start, with a log line", async () => {
    const dir = tempDir();
    // What a relay without this fix left under umask 022.
    await new SqliteStore(dir).close();
    chmodSync(dir, 0o755);
    chmodSync(join(dir, "relay.db"), 0o644);
    const { options, logs } = relayOptions(dir);
    const relay = await startRelay(options);
    try {
      expect(mode(dir)).toBe("700");
      for (const f of ["relay.db", "relay.db-wal", "relay.db-shm"])
        expect(`${f} ${mode(join(dir, f))}`).toBe(`${f} 600`);
      const line = logs.lines.find((l) => l.includes("made it owner-only"));
      expect(line).toBeDefined();
      expect(JSON.parse(line!)).toMatchObject({
        level: 40,
        tightened: expect.arrayContaining([
          { path: dir, mode: "0755" },
          { path: join(dir, "relay.db"), mode: "0644" },
        ]),
      });
    } finally {
      await relay.close();
    }
  });

  it("a shared directory (one holding files that are not the relay's) is left as it is, with a warning", () => {
    const dir = tempDir();
    chmodSync(dir, 0o755);
    writeFileSync(join(dir, "notes.txt"), "mine");
    expect(prepareDataDir(dir)).toEqual({ tightened: [], sharedMode: "0755" });
    expect(mode(dir)).toBe("755");
  });

  it("serve warns when the receivers file can be read by other users", async () => {
    const dir = tempDir();
    const file = join(dir, "receivers.json");
    writeFileSync(
      file,
      JSON.stringify([{ uuid: randomUUID(), codeHostKind: "GITHUB", secrets: ["s3cr3t"] }]),
    );
    chmodSync(file, 0o644);
    const open = relayOptions(join(dir, "data"), { file });
    let relay = await startRelay(open.options);
    await relay.close();
    const warning = open.logs.lines.find((l) => l.includes("receivers file"));
    expect(JSON.parse(warning!)).toMatchObject({ level: 40, file });
    expect(warning).toContain(
      `every user may read it (mode 0644); make it the relay user's only: chmod 600 ${file}`,
    );
    expect(warning).not.toContain("s3cr3t");

    chmodSync(file, 0o600);
    const closed = relayOptions(join(dir, "data"), { file });
    relay = await startRelay(closed.options);
    await relay.close();
    expect(closed.logs.lines.join("")).not.toContain("chmod 600");
  });
});

describe("a data directory the relay cannot use", () => {
  it("a file where the directory should be, or in its path, is named", async () => {
    const dir = tempDir();
    const file = join(dir, "a-file");
    writeFileSync(file, "");
    await expect(startRelay(relayOptions(file).options)).rejects.toThrow(
      `--data-dir ${file} is a file, not a directory; give a directory`,
    );
    await expect(startRelay(relayOptions(join(file, "data")).options)).rejects.toThrow(
      `--data-dir ${join(file, "data")}: ${file} is a file, not a directory`,
    );
    mkdirSync(join(dir, "d"));
    await (await startRelay(relayOptions(join(dir, "d", "x", "y")).options)).close();
  });

  it("relay.db that is a directory is named", async () => {
    const dir = tempDir();
    mkdirSync(join(dir, "relay.db"));
    await expect(startRelay(relayOptions(dir).options)).rejects.toThrow(
      `--data-dir ${dir}: ${join(dir, "relay.db")} is a directory, where the relay keeps a file`,
    );
  });
});
