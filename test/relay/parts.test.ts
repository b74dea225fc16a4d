import { randomUUID } from "node:crypto";
import { writeFileSync } from "node:fs";
import { connect, createServer } from "node:net";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  classify,
  formatReceiversFile,
  loadReceiversFile,
  parseDuration,
  parseListen,
  parseReceivers,
  type RelayReceiver,
  RotationMemory,
  receiversFileSchema,
  SqliteStore,
  startRelay,
} from "../../src/relay";
import { parseLogLevel, parseSourcegraphUrl } from "../../src/relay/options";
import { startReceiverFake } from "../../src/stand-ins/receiver";
import { ADMIN_TOKEN, type SourcegraphFake, startSourcegraphFake } from "../../src/stand-ins/sourcegraph";
import { captureLogger, post, sha, storeWith, tempDir, waitFor } from "./helpers";

describe("classify: Sourcegraph's answer decides a delivery's fate", () => {
  it.each([
    ["GITHUB", 200, "", "forwarded"],
    ["GITLAB", 200, "", "forwarded"],
    ["GITLAB", 204, "", "ignored"],
    ["GITHUB", 400, "unknown X-Github-Event in message: sub_issues\n", "ignored"],
    ["BITBUCKETSERVER", 400, 'parsing webhook: unknown webhook event type: "pr:event"\n', "ignored"],
    ["BITBUCKETCLOUD", 404, "unknown webhook event key: pullrequest:created\n", "ignored"],
    ["BITBUCKETCLOUD", 400, "Could not validate payload with secret.\n", "dead"],
    ["GITHUB", 404, "Could not find webhook with provided UUID.\n", "dead"],
    ["GITHUB", 501, 'webhooks not implemented for code host kind "X"\n', "retry"],
    ["GITHUB", 500, "boom", "retry"],
    ["GITHUB", 503, "", "retry"],
    ["GITHUB", 429, "", "retry"],
    ["GITHUB", 413, "", "dead"],
    ["BITBUCKETSERVER", 404, "unknown webhook event key: x", "dead"],
  ] as const)("%s %i %j -> %s", (kind, status, body, want) => {
    expect(classify(kind, status, body).kind).toBe(want);
  });
});

describe("flags and the receivers file", () => {
  it("parses listen addresses and durations, with messages naming the flag", () => {
    expect(parseListen("0.0.0.0:8080", "--listen")).toEqual({ host: "0.0.0.0", port: 8080 });
    expect(parseListen("[::1]:9464", "--admin-listen")).toEqual({ host: "::1", port: 9464 });
    expect(parseListen(":80", "--listen")).toEqual({ host: "0.0.0.0", port: 80 });
    expect(() => parseListen("8080", "--listen")).toThrow('--listen "8080" must be HOST:PORT');
    expect(parseDuration("24h", "--max-age")).toBe(86_400_000);
    expect(parseDuration("250ms", "x")).toBe(250);
    expect(parseDuration("1.5s", "x")).toBe(1500);
    expect(() => parseDuration("soon", "--max-age")).toThrow('--max-age "soon" must be a duration');
  });

  it("Sourcegraph's URL: no credentials (never echoed), no /.api path; log levels listed", () => {
    expect(parseSourcegraphUrl("https://sg.example.com/", "--forward-to")).toBe("https://sg.example.com");
    expect(parseSourcegraphUrl("https://sg.example.com/sourcegraph", "--forward-to")).toBe(
      "https://sg.example.com/sourcegraph",
    );
    for (const url of [
      "https://relay:s3cret-pw@sg.example.com",
      "https://s3cret-pw@sg.example.com/",
      "http://:s3cret-pw@sg",
    ]) {
      let message = "";
      try {
        parseSourcegraphUrl(url, "--forward-to");
      } catch (err) {
        message = (err as Error).message;
      }
      expect(message).toMatch(/^--forward-to must not carry a user or password \(http/);
      expect(message).toContain("a proxy that adds its authentication header itself");
      expect(message).not.toContain("s3cret-pw");
    }
    expect(() => parseSourcegraphUrl("https://sg.example.com/.api/webhooks", "--forward-to")).toThrow(
      '--forward-to "https://sg.example.com/.api/webhooks" must be Sourcegraph\'s base URL, without /.api/webhooks: the relay appends /.api/... itself; give https://sg.example.com',
    );
    expect(() => parseSourcegraphUrl("https://sg.example.com/sg/.api", "--sourcegraph-url")).toThrow(
      "without /.api: the relay appends /.api/... itself; give https://sg.example.com/sg",
    );
    // A path that merely starts like it is someone's choice.
    expect(parseSourcegraphUrl("https://sg.example.com/.apis", "--forward-to")).toBe(
      "https://sg.example.com/.apis",
    );
    // A value that does not even parse is quoted without its user and password.
    expect(() => parseSourcegraphUrl("sg.example.com//u:s3cret-pw@x", "--forward-to")).toThrow(
      '--forward-to "sg.example.com//x" is not a URL',
    );
    expect(() => parseSourcegraphUrl("ftp://u:s3cret-pw@x", "--forward-to")).toThrow(
      '--forward-to "ftp://x" must be an http(s) URL',
    );
    expect(parseLogLevel("WARN", "--log-level")).toBe("warn");
    expect(() => parseLogLevel("verbose", "--log-level")).toThrow(
      '--log-level "verbose" is not a log level; give one of trace, debug, info, warn, error, fatal, silent',
    );
  });

  it("a receivers file that lists nobody is refused, naming the fix", () => {
    const file = join(tempDir(), "empty.json");
    writeFileSync(file, "[]");
    expect(() => loadReceiversFile(file)).toThrow(
      `the receivers file ${file} lists no receivers, so the relay could accept no delivery; add them`,
    );
  });

  it("a port in use names the listener, its flag and the fix", async () => {
    const busy = createServer();
    await new Promise<void>((r) => busy.listen(0, "127.0.0.1", r));
    const port = (busy.address() as { port: number }).port;
    const opts = {
      forwardTo: "http://127.0.0.1:9",
      receivers: { list: [] },
      logger: captureLogger().logger,
    };
    try {
      await expect(
        startRelay({ ...opts, dataDir: tempDir(), listen: { host: "127.0.0.1", port } }),
      ).rejects.toThrow(
        `--listen 127.0.0.1:${port}: cannot open the listener for deliveries (and /healthz, /readyz): the address is in use by another process; stop it, or give another --listen HOST:PORT`,
      );
      await expect(
        startRelay({
          ...opts,
          dataDir: tempDir(),
          listen: { host: "127.0.0.1", port: 0 },
          adminListen: { host: "127.0.0.1", port },
        }),
      ).rejects.toThrow("--admin-listen off to run without metrics");
      // The directory is free again: the failed start released its lock.
      const dir = tempDir();
      await expect(
        startRelay({
          ...opts,
          dataDir: dir,
          listen: { host: "127.0.0.1", port: 0 },
          adminListen: { host: "127.0.0.1", port },
        }),
      ).rejects.toThrow(/in use/);
      await (await startRelay({ ...opts, dataDir: dir, listen: { host: "127.0.0.1", port: 0 } })).close();
    } finally {
      busy.close();
    }
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

  it("keeps a secret replaced in Sourcegraph valid for the grace period", () => {
    const m = new RotationMemory(1000);
    const r = (s: string) => [{ uuid: "u", codeHostKind: "GITHUB" as const, secrets: [s] }];
    expect(m.apply(r("a"), 0)[0]!.secrets).toEqual(["a"]);
    expect(m.apply(r("b"), 10)[0]!.secrets).toEqual(["b", "a"]);
    expect(m.apply(r("b"), 500)[0]!.secrets).toEqual(["b", "a"]);
    expect(m.apply(r("b"), 1011)[0]!.secrets).toEqual(["b"]);
  });
});

describe("SqliteStore", () => {
  const base = {
    receiverUuid: "u",
    kind: "GITHUB" as const,
    event: "push",
    headers: { "x-github-event": "push" },
    receivedAt: 1000,
  };

  it("stores, drops a repeated delivery ID in the same batch and later, survives reopening", async () => {
    const dir = tempDir();
    let s = new SqliteStore(dir);
    const [a, b, c] = await Promise.all([
      s.add({ ...base, deliveryId: "x", body: Buffer.from("1") }),
      s.add({ ...base, deliveryId: "x", body: Buffer.from("2") }),
      s.add({ ...base, body: Buffer.from("3") }),
    ]);
    expect([a!.duplicate, b!.duplicate, c!.duplicate]).toEqual([false, true, false]);
    // GitHub shares one delivery ID between the hooks an event fires: per receiver, it is new.
    expect(
      (await s.add({ ...base, receiverUuid: "v", deliveryId: "x", body: Buffer.from("v") })).duplicate,
    ).toBe(false);
    await s.close();
    s = new SqliteStore(dir);
    expect((await s.add({ ...base, deliveryId: "x", body: Buffer.from("4") })).duplicate).toBe(true);
    const due = await s.due(2000, 10, new Set());
    expect(due.map((d) => Buffer.from(d.body).toString())).toEqual(["1", "3", "v"]);
    expect(due[0]).toMatchObject({ deliveryId: "x", headers: { "x-github-event": "push" }, attempts: 0 });
    await s.complete(due[2]!.id, "delivered", { status: 200 }, 2000);
    expect(await s.due(2000, 10, new Set([due[0]!.id]))).toHaveLength(1);
    await s.retryLater(due[0]!.id, 5000, { status: 503 }, 2000);
    expect(await s.nextDueAt()).toBe(1000);
    await s.deadLetter(
      due[1]!.id,
      "bad_signature",
      { status: 400, error: "Could not validate payload with secret." },
      3000,
    );
    expect(await s.counts()).toEqual({ pending: 1, dead: 1 });
    expect(await s.listDead()).toMatchObject([
      { id: due[1]!.id, reason: "bad_signature", lastStatus: 400, attempts: 1 },
    ]);
    expect(await s.replay({ ids: [due[1]!.id, 999] }, 6000)).toBe(1);
    const again = await s.due(6000, 10, new Set());
    expect(again.map((d) => [d.id, d.windowStart, d.attempts]).sort()).toEqual(
      [
        [due[0]!.id, 1000, 1],
        [due[1]!.id, 6000, 0],
      ].sort(),
    );
    await s.complete(due[0]!.id, "delivered", { status: 200 }, 6000);
    await s.complete(due[1]!.id, "ignored", { status: 204 }, 6000);
    expect(await s.counts()).toEqual({ pending: 0, dead: 0 });
    // The dedupe window runs from settlement.
    await s.prune(6000);
    expect((await s.add({ ...base, deliveryId: "x", body: Buffer.from("5") })).duplicate).toBe(true);
    await s.prune(6001);
    expect((await s.add({ ...base, deliveryId: "x", body: Buffer.from("5") })).duplicate).toBe(false);
    await s.close();
  });
});

describe("SqliteStore: the dead-letter commands", () => {
  const base = { kind: "GITHUB" as const, event: "push", headers: {}, receivedAt: 1000 };
  /** Stores each delivery and dead-letters it at `deadAt`; returns their ids. */
  async function deadLetters(
    s: SqliteStore,
    list: Array<{ receiverUuid: string; deliveryId?: string; deadAt: number; kind?: "GITLAB" }>,
  ) {
    const ids: number[] = [];
    for (const [i, d] of list.entries()) {
      const { id } = await s.add({ ...base, ...d, body: Buffer.from(`body ${i}`) });
      await s.deadLetter(id, "unknown_receiver", { status: 404 }, d.deadAt);
      ids.push(id);
    }
    return ids;
  }

  it("purgeDead removes what the filter selects, says what it removed, and forgets the delivery IDs", async () => {
    const s = new SqliteStore(tempDir());
    try {
      const [a, b, c, d] = await deadLetters(s, [
        { receiverUuid: "old", deliveryId: "d-a", deadAt: 2000 },
        { receiverUuid: "old", deliveryId: "d-b", deadAt: 9000 },
        { receiverUuid: "other", deliveryId: "d-c", deadAt: 3000 },
        { receiverUuid: "other", deadAt: 9000 },
      ]);
      const pending = await s.add({
        ...base,
        receiverUuid: "old",
        deliveryId: "d-p",
        body: Buffer.from("p"),
      });

      // A dry run removes nothing.
      expect((await s.purgeDead({ receiverUuid: "old" }, true)).map((x) => x.id)).toEqual([a, b]);
      expect((await s.counts()).dead).toBe(4);

      expect(await s.purgeDead({ deadBefore: 5000 }, false)).toEqual([
        {
          id: a,
          receiverUuid: "old",
          kind: "GITHUB",
          event: "push",
          deliveryId: "d-a",
          reason: "unknown_receiver",
          deadAt: 2000,
          bytes: 6,
        },
        {
          id: c,
          receiverUuid: "other",
          kind: "GITHUB",
          event: "push",
          deliveryId: "d-c",
          reason: "unknown_receiver",
          deadAt: 3000,
          bytes: 6,
        },
      ]);
      expect((await s.purgeDead({ ids: [d!, 12345] }, false)).map((x) => x.id)).toEqual([d]);
      expect((await s.listDead()).map((x) => x.id)).toEqual([b]);

      // A purged delivery's redelivery is new; a pending one is a duplicate (a dead one is revived:
      // records.test.ts).
      const again = (receiverUuid: string, deliveryId: string) =>
        s.add({ ...base, receiverUuid, deliveryId, body: Buffer.from("again") });
      expect((await again("old", "d-a")).duplicate).toBe(false);
      expect((await again("other", "d-c")).duplicate).toBe(false);
      expect((await again("old", "d-p")).duplicate).toBe(true);
      expect(pending.duplicate).toBe(false);

      expect((await s.purgeDead("all", false)).map((x) => x.id)).toEqual([b]);
      expect((await s.counts()).dead).toBe(0);
    } finally {
      await s.close();
    }
  });

  it("replay with a retarget moves dead letters of the same kind to another receiver, and only those", async () => {
    const s = new SqliteStore(tempDir());
    try {
      const [gh, gl] = await deadLetters(s, [
        { receiverUuid: "old", deliveryId: "d-1", deadAt: 2000 },
        { receiverUuid: "old", deliveryId: "d-2", deadAt: 2000, kind: "GITLAB" },
      ]);
      expect(await s.replay({ receiverUuid: "old" }, 5000, { receiverUuid: "new", kind: "GITHUB" })).toBe(1);
      const due = await s.due(5000, 10, new Set());
      expect(due.map((d) => [d.id, d.receiverUuid, d.attempts, d.windowStart])).toEqual([
        [gh, "new", 0, 5000],
      ]);
      expect((await s.listDead()).map((d) => [d.id, d.receiverUuid])).toEqual([[gl, "old"]]);
      // The new receiver's code host redelivering it while it is queued: a duplicate.
      expect(
        (await s.add({ ...base, receiverUuid: "new", deliveryId: "d-1", body: Buffer.from("x") })).duplicate,
      ).toBe(true);
    } finally {
      await s.close();
    }
  });
});

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

describe("a store that fails", () => {
  it("is answered 503, never 202, and the delivery is taken when it is sent again", async () => {
    const u = randomUUID();
    const sg = await startReceiverFake([{ uuid: u, codeHostKind: "BITBUCKETCLOUD", secret: "s" }]);
    const dir = tempDir();
    const real = new SqliteStore(dir);
    let full = true;
    const store = storeWith(real, {
      add: (d) => (full ? Promise.reject(new Error("SQLITE_FULL: database or disk is full")) : real.add(d)),
    });
    const relay = await startRelay({
      listen: { host: "127.0.0.1", port: 0 },
      forwardTo: sg.url,
      receivers: { list: [{ uuid: u, codeHostKind: "BITBUCKETCLOUD", secrets: ["s"] }] },
      dataDir: dir,
      store,
      logger: captureLogger().logger,
    });
    const b = Buffer.from('{"n":1}');
    const headers = {
      "x-event-key": "repo:push",
      "x-request-uuid": randomUUID(),
      "x-hub-signature": sha("sha256", "s", b),
    };
    const hook = `${relay.url}/.api/webhooks/${u}`;
    expect((await post(hook, headers, b)).status).toBe(503);
    full = false;
    // Not remembered as seen either: the code host's retry of the same request goes through.
    expect((await post(hook, headers, b)).status).toBe(202);
    await waitFor(() => sg.accepted.length === 1, 5000, "the delivery to be forwarded");
    await relay.close();
    await sg.close();
  });
});

describe("graceful shutdown", () => {
  it("close() forwards what was acknowledged before it returns", async () => {
    const u = randomUUID();
    const sg = await startReceiverFake([{ uuid: u, codeHostKind: "BITBUCKETCLOUD", secret: "s" }]);
    sg.inject({ kind: "latency", ms: 100, times: 100 });
    const relay = await startRelay({
      listen: { host: "127.0.0.1", port: 0 },
      forwardTo: sg.url,
      receivers: { list: [{ uuid: u, codeHostKind: "BITBUCKETCLOUD", secrets: ["s"] }] },
      dataDir: tempDir(),
      concurrency: 2,
      logger: captureLogger().logger,
    });
    const bodies = Array.from({ length: 6 }, (_, i) => Buffer.from(`{"n":${i}}`));
    for (const b of bodies) {
      expect(
        (
          await post(
            `${relay.url}/.api/webhooks/${u}`,
            { "x-event-key": "repo:push", "x-hub-signature": sha("sha256", "s", b) },
            b,
          )
        ).status,
      ).toBe(202);
    }
    expect(sg.accepted.length).toBeLessThan(bodies.length);
    await relay.close();
    expect(sg.accepted.length).toBe(bodies.length);
    await sg.close();
  });

  it("a client that never finishes its request does not hold close() past the grace period", async () => {
    const u = randomUUID();
    const sg = await startReceiverFake([{ uuid: u, codeHostKind: "BITBUCKETCLOUD", secret: "s" }]);
    const relay = await startRelay({
      listen: { host: "127.0.0.1", port: 0 },
      forwardTo: sg.url,
      receivers: { list: [{ uuid: u, codeHostKind: "BITBUCKETCLOUD", secrets: ["s"] }] },
      dataDir: tempDir(),
      shutdownGraceMs: 200,
      logger: captureLogger().logger,
    });
    const b = Buffer.from('{"n":1}');
    const headers = { "x-event-key": "repo:push", "x-hub-signature": sha("sha256", "s", b) };
    expect((await post(`${relay.url}/.api/webhooks/${u}`, headers, b)).status).toBe(202);
    // Headers and 10 of the 100 bytes it announced, then nothing: a stalled or hostile client.
    const { port } = new URL(relay.url);
    const slow = connect(Number(port), "127.0.0.1");
    const cut = new Promise<void>((r) => slow.once("close", () => r()));
    slow.on("error", () => {});
    slow.write(
      // A signature that could match, so the relay reads the body (a wrong one is refused unread).
      `POST /.api/webhooks/${u} HTTP/1.1\r\nHost: relay\r\nX-Event-Key: repo:push\r\nX-Hub-Signature: sha256=${"0".repeat(64)}\r\nContent-Length: 100\r\n\r\n{"n":2,   `,
    );
    await new Promise((r) => setTimeout(r, 100));
    let hung: NodeJS.Timeout | undefined;
    await Promise.race([
      relay.close(),
      new Promise((_, reject) => {
        hung = setTimeout(() => reject(new Error("close() waited for the stalled request")), 10_000);
      }),
    ]);
    clearTimeout(hung);
    await cut;
    // The acknowledged delivery was forwarded; the stalled one was never acknowledged nor stored.
    expect(sg.accepted.map((a) => a.body.toString())).toEqual(['{"n":1}']);
    await sg.close();
  }, 20_000);
});
