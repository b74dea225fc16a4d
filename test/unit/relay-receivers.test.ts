// Proves the receivers file is read as one schema, and a replaced secret stays valid for its grace.
// The file is the one the component writes (formatReceiversFile) and serve reads; its messages
// point at the entry and never quote the file's text, which holds secrets.
import { randomUUID } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  formatReceiversFile,
  loadReceiversFile,
  parseReceivers,
  type RelayReceiver,
  RotationMemory,
  receiversFileSchema,
} from "../../src/relay";

const tempDir = () => mkdtempSync(join(tmpdir(), "sg-receivers-"));

describe("the receivers file", () => {
  it("a receivers file that lists nobody is refused, naming the fix", () => {
    const file = join(tempDir(), "empty.json");
    writeFileSync(file, "[]");
    expect(() => loadReceiversFile(file)).toThrow(
      `the receivers file ${file} lists no receivers, so the relay could accept no delivery; add them`,
    );
  });

  it("validates receivers and points at the entry", () => {
    const u = randomUUID();
    expect(parseReceivers([{ uuid: u.toUpperCase(), codeHostKind: "GITLAB", secrets: ["s"] }], "f")).toEqual([
      { uuid: u, codeHostKind: "GITLAB", secrets: ["s"] },
    ]);
    expect(() =>
      parseReceivers([{ uuid: u, codeHostKind: "GITEA", secrets: [] }], "receivers file f"),
    ).toThrow(/receivers file f: \[0\]\.codeHostKind: .*GITHUB/);
    expect(() => parseReceivers([{ uuid: u, codeHostKind: "GITHUB", secrets: [""] }], "f")).toThrow(
      /\[0\]\.secrets\[0\]: a secret must not be empty/,
    );
    expect(() => parseReceivers([{ uuid: u, codeHostKind: "GITHUB" }], "f")).toThrow(/\[0\]\.secrets/);
    expect(() => parseReceivers({}, "f")).toThrow(/\(top level\)/);
    expect(() =>
      parseReceivers(
        [
          { uuid: u, codeHostKind: "GITHUB", secrets: ["a"] },
          { uuid: u, codeHostKind: "GITHUB", secrets: ["b"] },
        ],
        "f",
      ),
    ).toThrow(/\[1\]\.uuid: .* is listed twice/);
  });

  it("the receivers file the component writes is the one serve reads: one type, one schema", () => {
    const written: RelayReceiver[] = [
      {
        uuid: randomUUID(),
        codeHostKind: "GITHUB",
        secrets: ["current-secret-0123456789", "previous-secret-0123456"],
      },
      { uuid: randomUUID(), codeHostKind: "BITBUCKETCLOUD", secrets: [] },
    ];
    const text = formatReceiversFile(written);
    expect(receiversFileSchema.safeParse(JSON.parse(text)).success).toBe(true);
    expect(parseReceivers(JSON.parse(text), "f")).toEqual(written);
    const file = join(tempDir(), "receivers.json");
    writeFileSync(file, text, { mode: 0o600 });
    expect(loadReceiversFile(file)).toEqual(written);
  });

  it("a receivers file that is not JSON is refused without quoting its text, which holds secrets", () => {
    const secret = "hunter2-is-the-secret";
    const dir = tempDir();
    const entry = `{"uuid": "${randomUUID()}", "codeHostKind": "GITHUB", "secrets": ["${secret}"`;
    // A trailing comma, a missing bracket, a stray word: V8 quotes the text around each of them.
    for (const [name, text] of [
      ["comma.json", `[${entry},]}]`],
      ["open.json", `[${entry}]}`],
      ["word.json", secret],
      ["late.json", `[${entry}]}] ${secret}`],
    ] as const) {
      const file = join(dir, name);
      writeFileSync(file, text);
      let message = "";
      try {
        loadReceiversFile(file);
      } catch (err) {
        message = (err as Error).message;
      }
      expect(message).toContain(`the receivers file ${file} is not JSON`);
      for (let i = 0; i + 4 <= secret.length; i++) expect(message).not.toContain(secret.slice(i, i + 4));
      expect(message).toContain(`jq . ${file}`);
    }
  });
});

describe("receivers from Sourcegraph: a replaced secret", () => {
  it("keeps a secret replaced in Sourcegraph valid for the grace period", () => {
    const m = new RotationMemory(1000);
    const r = (s: string) => [{ uuid: "u", codeHostKind: "GITHUB" as const, secrets: [s] }];
    expect(m.apply(r("a"), 0)[0]!.secrets).toEqual(["a"]);
    expect(m.apply(r("b"), 10)[0]!.secrets).toEqual(["b", "a"]);
    expect(m.apply(r("b"), 500)[0]!.secrets).toEqual(["b", "a"]);
    expect(m.apply(r("b"), 1011)[0]!.secrets).toEqual(["b"]);
  });
});
