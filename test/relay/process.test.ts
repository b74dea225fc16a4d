// Proves `sg-webhooks serve` as users run it loses no acknowledged delivery to kill -9, and names each fix.
// The relay as users run it: `node dist/src/cli/main.js serve`, killed with SIGKILL after it
// acknowledged deliveries, restarted, and driven with `dlq list` / `dlq replay`.
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { chmodSync, writeFileSync } from "node:fs";
import { createServer, type Server, type Socket } from "node:net";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { type ReceiverFake, startReceiverFake } from "../../src/stand-ins/receiver";
import { get, post, sha, tempDir, waitFor } from "./helpers";

const MAIN = join(__dirname, "..", "..", "dist", "src", "cli", "main.js");
const run = promisify(execFile);

interface Child {
  proc: ChildProcess;
  url: string;
  adminUrl: string;
  out: string[];
  exited: Promise<{ code: number | null; signal: string | null }>;
}

async function serve(args: string[]): Promise<Child> {
  const proc = spawn(process.execPath, [MAIN, "serve", ...args], { stdio: ["ignore", "pipe", "pipe"] });
  const out: string[] = [];
  const exited = new Promise<{ code: number | null; signal: string | null }>((r) =>
    proc.once("exit", (code, signal) => r({ code, signal })),
  );
  const ready = new Promise<{ url: string; adminUrl: string }>((resolve, reject) => {
    let buf = "";
    proc.stdout!.on("data", (c) => {
      buf += String(c);
      out.push(String(c));
      for (const line of buf.split("\n")) {
        if (line.includes('"relay ready"')) resolve(JSON.parse(line));
      }
    });
    proc.stderr!.on("data", (c) => out.push(String(c)));
    void exited.then(({ code }) => reject(new Error(`serve exited (${code}): ${out.join("")}`)));
  });
  const { url, adminUrl } = await ready;
  return { proc, url, adminUrl, out, exited };
}

const children: ChildProcess[] = [];
let fake: ReceiverFake | undefined;
afterAll(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
  await fake?.close();
});

describe("sg-webhooks serve as a process", () => {
  it("loses no acknowledged delivery to kill -9; dlq list/replay; SIGTERM exits cleanly", async () => {
    const gh = randomUUID();
    const bbs = randomUUID();
    fake = await startReceiverFake([
      { uuid: gh, codeHostKind: "GITHUB", secret: "current" },
      { uuid: bbs, codeHostKind: "BITBUCKETSERVER", secret: "sourcegraph-differs" },
    ]);
    fake.outage = 503;
    const dir = tempDir();
    const receivers = join(dir, "receivers.json");
    writeFileSync(
      receivers,
      JSON.stringify([
        { uuid: gh, codeHostKind: "GITHUB", secrets: ["current", "previous"] },
        { uuid: bbs, codeHostKind: "BITBUCKETSERVER", secrets: ["current"] },
      ]),
    );
    const data = join(dir, "data");
    const args = [
      "--listen",
      "127.0.0.1:0",
      "--admin-listen",
      "127.0.0.1:0",
      "--forward-to",
      fake.url,
      "--receivers",
      receivers,
      "--data-dir",
      data,
      "--retry-base",
      "20ms",
      "--retry-max-delay",
      "100ms",
    ];

    const first = await serve(args);
    children.push(first.proc);
    const bodies = Array.from({ length: 40 }, (_, i) => Buffer.from(JSON.stringify({ n: i, zen: "é✓" })));
    const answers = await Promise.all(
      bodies.map((b, i) =>
        post(
          `${first.url}/.api/webhooks/${gh}`,
          {
            "content-type": "application/json",
            "x-github-event": "push",
            "x-github-delivery": `d-${i}`,
            "x-hub-signature-256": sha("sha256", i % 2 ? "previous" : "current", b),
          },
          b,
        ),
      ),
    );
    expect(answers.every((a) => a.status === 202)).toBe(true);
    await waitFor(() => fake!.log.length >= 5, 5000, "forwarding attempts during the outage");
    first.proc.kill("SIGKILL");
    expect((await first.exited).signal).toBe("SIGKILL");
    expect(fake.accepted.length).toBe(0);

    fake.outage = undefined;
    const second = await serve(args);
    children.push(second.proc);
    await waitFor(
      () => new Set(fake!.accepted.map((d) => d.body.toString())).size === bodies.length,
      15_000,
      "every acknowledged delivery",
    );
    for (const d of fake.accepted)
      expect(d.headers["x-hub-signature-256"]).toBe(sha("sha256", "current", d.body));

    // Sourcegraph holds another secret for the Bitbucket Server receiver: dead letter.
    const ping = Buffer.from("{}");
    expect(
      (
        await post(
          `${second.url}/.api/webhooks/${bbs}`,
          { "x-event-key": "repo:refs_changed", "x-hub-signature": sha("sha256", "current", ping) },
          ping,
        )
      ).status,
    ).toBe(202);
    await waitFor(
      async () =>
        (await get(`${second.adminUrl}/metrics`)).text.includes(
          'sg_webhooks_relay_dead_lettered_total{reason="bad_signature"} 1',
        ),
      5000,
      "the dead letter",
    );
    const list = await run(process.execPath, [MAIN, "dlq", "list", "--data-dir", data]);
    expect(list.stdout).toMatch(
      new RegExp(
        `^\\d+\\s+${bbs}\\s+BITBUCKETSERVER\\s+repo:refs_changed\\s+-\\s+1\\s+bad_signature\\s+400`,
        "m",
      ),
    );
    const json = await run(process.execPath, [MAIN, "dlq", "list", "--data-dir", data, "--json"]);
    expect(JSON.parse(json.stdout)).toMatchObject({
      id: 41,
      receiver: bbs,
      reason: "bad_signature",
      lastStatus: 400,
    });
    expect(json.stdout).not.toContain("current");

    await expect(run(process.execPath, [MAIN, "dlq", "replay", "--data-dir", data])).rejects.toMatchObject({
      code: 2,
      stderr: "error: say what to replay: --id ID [ID...], --receiver UUID or --all\n",
    });
    fake.receivers.get(bbs)!.secret = "current";
    const replay = await run(process.execPath, [MAIN, "dlq", "replay", "--data-dir", data, "--all"]);
    expect(replay.stdout).toBe("queued 1 delivery again\n");
    await waitFor(() => fake!.accepted.some((d) => d.uuid === bbs), 5000, "the replayed delivery");
    expect((await run(process.execPath, [MAIN, "dlq", "list", "--data-dir", data])).stdout).toBe(
      "the dead-letter store is empty\n",
    );

    // A second relay on the same directory would forward everything twice: refused.
    const twin = run(process.execPath, [MAIN, "serve", ...args]);
    await expect(twin).rejects.toMatchObject({
      stderr: expect.stringMatching(new RegExp(`another relay \\(pid ${second.proc.pid}\\) uses`)),
    });

    second.proc.kill("SIGTERM");
    expect(await second.exited).toEqual({ code: 0, signal: null });
    expect(second.out.join("")).toContain('"msg":"relay stopped"');
  });

  it("deliveries a relay held when it was killed are forwarded as the next one starts, not after their lease", async () => {
    const gh = randomUUID();
    const dir = tempDir();
    const receivers = join(dir, "receivers.json");
    writeFileSync(receivers, JSON.stringify([{ uuid: gh, codeHostKind: "GITHUB", secrets: ["current"] }]));
    // A Sourcegraph that takes requests and never answers: the relay dies with deliveries in flight
    // and others waiting in its memory, every one of them claimed.
    const held: Socket[] = [];
    const blackHole: Server = createServer((socket) => {
      held.push(socket);
    });
    await new Promise<void>((resolve) => blackHole.listen(0, "127.0.0.1", resolve));
    let sg: ReceiverFake | undefined;
    const { port } = blackHole.address() as { port: number };
    const args = (forwardTo: string) => [
      "--listen",
      "127.0.0.1:0",
      "--admin-listen",
      "127.0.0.1:0",
      "--forward-to",
      forwardTo,
      "--receivers",
      receivers,
      "--data-dir",
      join(dir, "data"),
      "--lease",
      "10m",
    ];
    try {
      const first = await serve(args(`http://127.0.0.1:${port}`));
      children.push(first.proc);
      const bodies = Array.from({ length: 20 }, (_, i) => Buffer.from(JSON.stringify({ held: i })));
      for (const [i, b] of bodies.entries()) {
        const res = await post(
          `${first.url}/.api/webhooks/${gh}`,
          {
            "content-type": "application/json",
            "x-github-event": "push",
            "x-github-delivery": `held-${i}`,
            "x-hub-signature-256": sha("sha256", "current", b),
          },
          b,
        );
        expect(res.status).toBe(202);
      }
      await waitFor(() => held.length >= 8, 5000, "the forwards in flight");
      first.proc.kill("SIGKILL");
      expect((await first.exited).signal).toBe("SIGKILL");

      sg = await startReceiverFake([{ uuid: gh, codeHostKind: "GITHUB", secret: "current" }]);
      const second = await serve(args(sg.url));
      children.push(second.proc);
      // Well within the 10-minute lease: the claims were freed at start.
      await waitFor(
        () => new Set(sg!.accepted.map((d) => d.body.toString())).size === bodies.length,
        15_000,
        "every delivery the killed relay held",
      );
      expect(second.out.join("")).toContain('"count":20,"msg":"freed the claims a previous relay');
      expect((await get(`${second.adminUrl}/metrics`)).text).toContain(
        "sg_webhooks_relay_claims_swept_total 20",
      );
      second.proc.kill("SIGTERM");
      expect(await second.exited).toEqual({ code: 0, signal: null });
    } finally {
      await sg?.close();
      for (const socket of held) socket.destroy();
      await new Promise((resolve) => blackHole.close(resolve));
    }
  });

  it("start-up errors name the fix", async () => {
    const dir = tempDir();
    const file = join(dir, "r.json");
    writeFileSync(file, JSON.stringify([{ uuid: "nope", codeHostKind: "GITHUB", secrets: [] }]));
    // A relay that would forward nowhere, reading `file`: it must stop before it listens.
    const refused = (...extra: string[]) =>
      run(process.execPath, [
        MAIN,
        "serve",
        "--forward-to",
        "http://127.0.0.1:9",
        "--receivers",
        file,
        "--data-dir",
        join(dir, "d"),
        "--admin-listen",
        "off",
        ...extra,
      ]);
    const fail = refused();
    await expect(fail).rejects.toMatchObject({
      stderr: expect.stringMatching(/receivers file .*r\.json: \[0\]\.uuid: not a UUID/),
    });
    writeFileSync(file, JSON.stringify([{ uuid: randomUUID(), codeHostKind: "GITHUB", secrets: [] }]));
    const unsigned = refused("--listen", "127.0.0.1:0");
    await expect(unsigned).rejects.toMatchObject({
      stderr: expect.stringMatching(/has no secret.*--allow-unsigned/),
    });
    const none = run(process.execPath, [
      MAIN,
      "serve",
      "--forward-to",
      "http://127.0.0.1:9",
      "--data-dir",
      join(dir, "d"),
    ]);
    await expect(none).rejects.toMatchObject({
      stderr: expect.stringMatching(/--receivers FILE, or --sourcegraph-url URL/),
    });
    // A lease renewed every sixth of it: under a second, the relay would do little else.
    await expect(refused("--lease", "500ms")).rejects.toMatchObject({
      code: 1,
      stderr: expect.stringContaining('--lease "500ms" must be at least 1s'),
    });
  });
});

/** `serve` that must stop before it listens: its exit code and what it printed. */
async function refused(
  args: string[],
  opts: { uid?: number; gid?: number; env?: NodeJS.ProcessEnv } = {},
): Promise<{ code: number | null; killed: boolean; stdout: string; stderr: string }> {
  try {
    const out = await run(process.execPath, [MAIN, "serve", ...args], { ...opts, timeout: 15_000 });
    return { code: 0, killed: false, ...out };
  } catch (err) {
    const e = err as { code: number | null; killed: boolean; stdout: string; stderr: string };
    return { code: e.code, killed: e.killed, stdout: e.stdout, stderr: e.stderr };
  }
}

describe("serve: operator errors name the flag and the fix", () => {
  const dir = tempDir();
  const receivers = join(dir, "receivers.json");
  writeFileSync(receivers, JSON.stringify([{ uuid: randomUUID(), codeHostKind: "GITHUB", secrets: ["s"] }]), {
    mode: 0o600,
  });
  const base = (...extra: string[]) => [
    "--forward-to",
    "http://127.0.0.1:9",
    "--receivers",
    receivers,
    "--listen",
    "127.0.0.1:0",
    "--admin-listen",
    "off",
    "--data-dir",
    join(dir, "data"),
    ...extra,
  ];

  it("--data-dir under /proc fails at once instead of spinning", async () => {
    const r = await refused(base("--data-dir", "/proc/sg-webhooks-relay"));
    expect(r.killed).toBe(false);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      "--data-dir /proc/sg-webhooks-relay: cannot create /proc/sg-webhooks-relay although /proc exists",
    );
    expect(r.stderr).toContain("give a directory on a disk");
  });

  it("a --data-dir the relay's user may not write is named, with the fix", async () => {
    const parent = tempDir();
    const asRoot = process.getuid?.() === 0;
    // Root may write anywhere: the relay then runs as nobody, as a service user would.
    chmodSync(parent, asRoot ? 0o755 : 0o555);
    const as = asRoot ? { uid: 65534, gid: 65534 } : {};
    const r = await refused(base("--data-dir", join(parent, "data")), as);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      `--data-dir ${join(parent, "data")}: permission denied creating ${join(parent, "data")}; give a directory that the relay's user (uid ${asRoot ? 65534 : process.getuid?.()}) owns`,
    );
  });

  it("an unknown --log-level lists the valid ones", async () => {
    const r = await refused(base("--log-level", "verbose"));
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      'sg-webhooks: --log-level "verbose" is not a log level; give one of trace, debug, info, warn, error, fatal, silent\n',
    );
  });

  it("--forward-to with a password is refused without printing it; with /.api/webhooks, the base URL is named", async () => {
    const creds = await refused(base("--forward-to", "https://relay:hunter2-pass@sourcegraph.example.com/"));
    expect(creds.code).toBe(1);
    expect(creds.stderr).toContain("--forward-to must not carry a user or password");
    expect(creds.stderr).toContain("through a proxy that adds its authentication header itself");
    expect(creds.stdout + creds.stderr).not.toContain("hunter2-pass");
    const path = await refused(base("--forward-to", "http://sg.example.com/.api/webhooks/"));
    expect(path.code).toBe(1);
    expect(path.stderr).toContain(
      '--forward-to "http://sg.example.com/.api/webhooks" must be Sourcegraph\'s base URL, without /.api/webhooks: the relay appends /.api/... itself; give http://sg.example.com',
    );
  });

  it("a receivers file listing no receivers is refused", async () => {
    const empty = join(dir, "empty.json");
    writeFileSync(empty, "[]", { mode: 0o600 });
    const r = await refused(base("--receivers", empty));
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      `the receivers file ${empty} lists no receivers, so the relay could accept no delivery`,
    );
    expect(r.stderr).toContain("or read them from Sourcegraph with --sourcegraph-url");
  });

  it("a port in use names the listener and its flag, and that metrics get a port of their own by default", async () => {
    const busy: Server = createServer();
    await new Promise<void>((r) => busy.listen(0, "127.0.0.1", r));
    const port = (busy.address() as { port: number }).port;
    try {
      const admin = await refused(base("--admin-listen", `127.0.0.1:${port}`));
      expect(admin.code).toBe(1);
      expect(admin.stderr).toContain(
        `--admin-listen 127.0.0.1:${port}: cannot open the metrics listener, which the relay opens on 127.0.0.1:9464 unless told otherwise: the address is in use by another process; stop it, or give another --admin-listen HOST:PORT, or --admin-listen off to run without metrics`,
      );
      const main = await refused(base("--listen", `127.0.0.1:${port}`));
      expect(main.stderr).toContain(`--listen 127.0.0.1:${port}: cannot open the listener for deliveries`);
      expect(main.stderr).toContain("give another --listen HOST:PORT");
    } finally {
      busy.close();
    }
  });
});
