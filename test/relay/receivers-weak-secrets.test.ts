// Proves serve warns once per receiver whose secret is shorter than 16 characters, never printing it.
// `sg-webhooks serve` (startRelay) warns about receivers whose secret is shorter than 16 characters:
// by receiver UUID, never printing the secret, once per receiver however often receivers reload.
import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { startRelay } from "../../src/relay";
import { weakSecrets } from "../../src/relay/weak-secrets";
import { captureLogger, tempDir } from "./helpers";

const WEAK = "short-secret"; // 12 characters
const STRONG = "a-secret-of-plenty-characters-0123";

describe("weak secrets", () => {
  it("weakSecrets lists the receivers holding any secret under 16 characters, by UUID", () => {
    const [a, b, c, d] = [randomUUID(), randomUUID(), randomUUID(), randomUUID()];
    expect(
      weakSecrets([
        { uuid: a, codeHostKind: "GITHUB", secrets: [STRONG] },
        { uuid: b, codeHostKind: "GITLAB", secrets: [WEAK] },
        // A rotation's old secret counts as much as the current one.
        { uuid: c, codeHostKind: "BITBUCKETCLOUD", secrets: [STRONG, "x".repeat(15)] },
        { uuid: d, codeHostKind: "BITBUCKETSERVER", secrets: ["x".repeat(16)] },
      ]),
    ).toEqual([b, c]);
  });

  it("the relay warns on start, by UUID and without the secret, and not again on reload", async () => {
    const weak = randomUUID();
    const strong = randomUUID();
    const logs = captureLogger();
    const relay = await startRelay({
      listen: { host: "127.0.0.1", port: 0 },
      forwardTo: "http://127.0.0.1:9",
      receivers: {
        list: [
          { uuid: weak, codeHostKind: "GITLAB", secrets: [WEAK] },
          { uuid: strong, codeHostKind: "GITHUB", secrets: [STRONG] },
        ],
      },
      dataDir: tempDir(),
      logger: logs.logger,
    });
    try {
      await relay.reload();
    } finally {
      await relay.close();
    }
    const warnings = logs.lines
      .map((l) => JSON.parse(l) as { level: number; msg: string; receivers?: string[] })
      .filter((l) => l.level === 40 && l.msg.includes("shorter than 16 characters"));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]!.receivers).toEqual([weak]);
    expect(logs.lines.join("")).not.toContain(WEAK);
    expect(logs.lines.join("")).not.toContain(STRONG);
  });
});
