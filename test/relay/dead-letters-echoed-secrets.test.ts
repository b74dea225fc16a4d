// Proves a secret echoed in Sourcegraph's answer leaves no trace in records, `dlq list` or the data dir.
// Sourcegraph's answer to a forwarded delivery (or its proxy's) is stored as the attempt's error
// and printed by `dlq list`. An answer that echoes the receiver's secret (GitLab's token, which the
// relay sends as a header) in any encoding leaves no form of it in a retry or dead-letter record,
// in `dlq list --json`, or in the files of the data directory.
import { randomUUID } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { Command } from "commander";
import { afterEach, describe, expect, it, vi } from "vitest";
import { registerDlq } from "../../src/cli/commands/dlq";
import { startRelay, ThreadedStore } from "../../src/relay";
import type { AttemptResult } from "../../src/relay/store";
import { startReceiverFake } from "../../src/stand-ins/receiver";
import { captureLogger, post, storeWith, tempDir, waitFor } from "./helpers";

const TOKEN = "gl-test-Ab_3-xYz0123456789qrS";
const UUID = randomUUID();

/** The token as proxies and gateways echo it: none of these is the token as sent. */
const FORMS: Record<string, string> = {
  "upper-cased": TOKEN.toUpperCase(),
  "JSON \\u-escaped": [...TOKEN].map((c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`).join(""),
  "percent-encoded": [...TOKEN].map((c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`).join(""),
  base64: Buffer.from(TOKEN).toString("base64"),
  "in a Basic pair": Buffer.from(`oauth2:${TOKEN}`).toString("base64"),
  "wrapped over lines": `${TOKEN.slice(0, 10)}\r\n  ${TOKEN.slice(10)}`,
};
const EVERY_FORM = [TOKEN, ...Object.values(FORMS)];

/** A proxy's debug page: the request's headers, the token among them in one form. */
const echo = (form: string) =>
  `upstream failed; request was:\nx-gitlab-token: ${form}\nx-gitlab-event: Push Hook\n`;

function expectNoForm(text: string, where: string): void {
  for (const form of EVERY_FORM) expect(text, where).not.toContain(form);
  expect(text, where).not.toContain(TOKEN.slice(6, 18));
}

const restore: Array<() => void> = [];
afterEach(() => {
  for (const r of restore.splice(0)) r();
});

async function dlqListJson(dataDir: string): Promise<string> {
  const out: string[] = [];
  const spy = vi.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => {
    out.push(String(chunk));
    return true;
  });
  restore.push(() => spy.mockRestore());
  const program = new Command().exitOverride();
  registerDlq(program);
  await program.parseAsync(["dlq", "list", "--data-dir", dataDir, "--json"], { from: "user" });
  spy.mockRestore();
  return out.join("");
}

describe("relay: an answer that echoes the receiver's secret", () => {
  it("is redacted in every retry and dead-letter record, in dlq list --json and on disk", async () => {
    const sg = await startReceiverFake([{ uuid: UUID, codeHostKind: "GITLAB", secret: TOKEN }]);
    // One 502 per form (retried), then a 403 (dead-lettered as rejected), each echoing the token.
    for (const form of Object.values(FORMS)) sg.inject({ kind: "status", status: 502, body: echo(form) });
    sg.inject({ kind: "status", status: 403, body: echo(TOKEN) });

    const dataDir = tempDir();
    const inner = await ThreadedStore.open(dataDir);
    const results: AttemptResult[] = [];
    const store = storeWith(inner, {
      retryLater: (id, at, result, now) => {
        results.push(result);
        return inner.retryLater(id, at, result, now);
      },
      deadLetter: (id, reason, result, now) => {
        results.push(result);
        return inner.deadLetter(id, reason, result, now);
      },
    });
    const logs = captureLogger();
    const relay = await startRelay({
      listen: { host: "127.0.0.1", port: 0 },
      forwardTo: sg.url,
      receivers: { list: [{ uuid: UUID, codeHostKind: "GITLAB", secrets: [TOKEN] }] },
      dataDir,
      store,
      retryBaseMs: 5,
      retryMaxDelayMs: 20,
      logger: logs.logger,
    });
    try {
      const sent = await post(
        `${relay.url}/.api/webhooks/${UUID}`,
        { "content-type": "application/json", "x-gitlab-event": "Push Hook", "x-gitlab-token": TOKEN },
        '{"object_kind":"push"}',
      );
      expect(sent.status).toBe(202);
      await waitFor(async () => (await relay.store.counts()).dead === 1, 10_000, "the dead letter");
    } finally {
      await relay.close();
      await sg.close();
    }

    // Every answer was stored, each one redacted where the token stood.
    expect(results.map((r) => r.status)).toEqual([...Object.values(FORMS).map(() => 502), 403]);
    for (const [i, r] of results.entries()) {
      expect(r.error, `attempt ${i + 1}`).toContain("upstream failed");
      expect(r.error, `attempt ${i + 1}`).toContain("x-gitlab-token: [redacted]");
      expectNoForm(r.error ?? "", `attempt ${i + 1}`);
    }

    const listed = await dlqListJson(dataDir);
    const dead = JSON.parse(listed.trim()) as { reason: string; lastStatus: number; lastError: string };
    expect(dead).toMatchObject({ reason: "rejected", lastStatus: 403 });
    expect(dead.lastError).toContain("x-gitlab-token: [redacted]");
    expectNoForm(listed, "dlq list --json");

    for (const file of readdirSync(dataDir)) {
      expectNoForm(readFileSync(join(dataDir, file)).toString("latin1"), file);
    }
    expectNoForm(logs.lines.join(""), "the relay's log");
  });
});
