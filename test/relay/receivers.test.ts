// Proves the relay reads receivers from Sourcegraph, keeps a rotated secret, and refuses unsigned ones.
// A refused or unreachable Sourcegraph fails start-up with the fix; a Sourcegraph with no receivers
// yet lets the relay start and keep looking; a receiver without a secret needs --allow-unsigned.
import { randomUUID } from "node:crypto";
import { afterAll, describe, expect, it } from "vitest";
import { startRelay } from "../../src/relay";
import { startReceiverFake } from "../../src/stand-ins/receiver";
import { ADMIN_TOKEN, type SourcegraphFake, startSourcegraphFake } from "../../src/stand-ins/sourcegraph";
import { captureLogger, post, sha, tempDir, waitFor } from "./helpers";

describe("receivers from Sourcegraph's API", () => {
  let sg: SourcegraphFake | undefined;
  afterAll(async () => sg?.close());

  it("reads receivers with their secrets, refreshes them, and keeps a rotated secret for the grace period", async () => {
    sg = await startSourcegraphFake();
    const gh = sg.seed({
      name: "gh",
      codeHostKind: "GITHUB",
      codeHostURN: "https://github.com/",
      secret: "one",
    });
    const receiving = await startReceiverFake([{ uuid: gh.uuid, codeHostKind: "GITHUB", secret: "one" }]);
    const logs = captureLogger();
    const relay = await startRelay({
      listen: { host: "127.0.0.1", port: 0 },
      forwardTo: receiving.url,
      receivers: {
        sourcegraph: { url: sg.url, accessToken: ADMIN_TOKEN, refreshMs: 60_000, rotationGraceMs: 60_000 },
      },
      dataDir: tempDir(),
      logger: logs.logger,
    });
    try {
      expect(relay.receivers.list()).toEqual([{ uuid: gh.uuid, codeHostKind: "GITHUB", secrets: ["one"] }]);
      expect(sg.operations.at(-1)!.variables).toMatchObject({ first: expect.any(Number) });
      sg.receiver(gh.uuid)!.secret = "two";
      receiving.receivers.get(gh.uuid)!.secret = "two";
      const gl = sg.seed({
        name: "gl",
        codeHostKind: "GITLAB",
        codeHostURN: "https://gitlab.com/",
        secret: null,
      });
      await relay.reload();
      // The unsigned GitLab receiver is not served after start-up (no --allow-unsigned), with a warning.
      expect(relay.receivers.list()).toEqual([
        { uuid: gh.uuid, codeHostKind: "GITHUB", secrets: ["two", "one"] },
      ]);
      expect(logs.lines.join("")).toContain(gl.uuid);
      const b = Buffer.from("{}");
      const h = {
        "content-type": "application/json",
        "x-github-event": "push",
        "x-hub-signature-256": sha("sha256", "one", b),
      };
      expect((await post(`${relay.url}/.api/webhooks/${gh.uuid}`, h, b)).status).toBe(202);
      await waitFor(() => receiving.accepted.length === 1, 5000, "forwarding");
      expect(receiving.accepted[0]!.headers["x-hub-signature-256"]).toBe(sha("sha256", "two", b));
      expect(logs.lines.join("")).not.toContain(ADMIN_TOKEN);
    } finally {
      await relay.close();
      await receiving.close();
    }
  });

  it("a refused token fails start-up with the fix in the message, and a receiver without secret is refused", async () => {
    const opts = {
      listen: { host: "127.0.0.1", port: 0 },
      forwardTo: "http://127.0.0.1:9",
      logger: captureLogger().logger,
    };
    const err = await startRelay({
      ...opts,
      dataDir: tempDir(),
      receivers: { sourcegraph: { url: sg!.url, accessToken: "sgp_wrong", refreshMs: 60_000 } },
    }).catch((e: Error) => e);
    expect(String(err)).toContain(
      `Sourcegraph at ${sg!.url} (--sourcegraph-url) answered 401: the access token in SRC_ACCESS_TOKEN is invalid or expired; set SRC_ACCESS_TOKEN to the access token of a site admin`,
    );
    expect(String(err)).not.toContain("sgp_wrong");
    // The relay's own settings, not the Pulumi program's.
    expect(String(err)).not.toMatch(/sourcegraph\.accessToken|sourcegraph\.endpoint|SRC_ENDPOINT/);
    const unreachable = await startRelay({
      ...opts,
      dataDir: tempDir(),
      receivers: { sourcegraph: { url: "http://127.0.0.1:9", accessToken: ADMIN_TOKEN, refreshMs: 60_000 } },
    }).catch((e: Error) => e);
    expect(String(unreachable)).toContain(
      "cannot reach Sourcegraph at http://127.0.0.1:9 (--sourcegraph-url): Sourcegraph at http://127.0.0.1:9 refused the connection",
    );
    expect(String(unreachable)).toContain("check the URL and that the server is up");
    expect(String(unreachable)).not.toMatch(/sourcegraph\.endpoint|SRC_ENDPOINT|state/);
    await expect(
      startRelay({
        ...opts,
        dataDir: tempDir(),
        receivers: { sourcegraph: { url: sg!.url, accessToken: ADMIN_TOKEN, refreshMs: 60_000 } },
      }),
    ).rejects.toThrow(/no secret/);
  });
});

describe("receivers from a Sourcegraph that has none yet", () => {
  it("the relay starts with a warning and keeps looking", async () => {
    const sg = await startSourcegraphFake();
    const logs = captureLogger();
    const relay = await startRelay({
      listen: { host: "127.0.0.1", port: 0 },
      forwardTo: "http://127.0.0.1:9",
      receivers: { sourcegraph: { url: sg.url, accessToken: ADMIN_TOKEN, refreshMs: 50 } },
      dataDir: tempDir(),
      logger: logs.logger,
    });
    try {
      const warning = logs.lines.find((l) => l.includes("no receiver the relay can serve yet"));
      expect(JSON.parse(warning!)).toMatchObject({ level: 40, sourcegraphUrl: sg.url, refreshMs: 50 });
      const r = sg.seed({
        name: "gh",
        codeHostKind: "GITHUB",
        codeHostURN: "https://github.com/",
        secret: "one",
      });
      await waitFor(() => relay.receivers.size === 1, 5000, "the next refresh");
      expect(relay.receivers.get(r.uuid)?.secrets).toEqual(["one"]);
    } finally {
      await relay.close();
      await sg.close();
    }
  });
});

describe("receivers without a secret", () => {
  it("refuses a receiver without a secret at start-up unless unsigned deliveries are allowed", async () => {
    const uuid = randomUUID();
    const opts = {
      listen: { host: "127.0.0.1", port: 0 },
      forwardTo: "http://127.0.0.1:9",
      receivers: { list: [{ uuid: uuid, codeHostKind: "GITLAB" as const, secrets: [] }] },
      logger: captureLogger().logger,
    };
    await expect(startRelay({ ...opts, dataDir: tempDir() })).rejects.toThrow(
      /has no secret.*--allow-unsigned/,
    );
    const r = await startRelay({ ...opts, dataDir: tempDir(), allowUnsigned: true });
    expect((await post(`${r.url}/.api/webhooks/${uuid}`, {}, '{"object_kind":"push"}')).status).toBe(202);
    await r.close();
  });
});
