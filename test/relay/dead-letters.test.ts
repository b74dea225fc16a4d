// Proves dead letters are kept, replayed to a new receiver and purged with `dlq`, run as users run it.
// A receiver removed while its deliveries wait: they go to the dead-letter store, never out
// unsigned; `dlq replay --to-receiver` sends them to the receiver that replaced it, and
// `dlq purge` removes dead letters for good. The commands run as users run them (dist/).
import { execFile } from "node:child_process";
import { randomUUID } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { type Relay, SqliteStore, startRelay } from "../../src/relay";
import type { Lease } from "../../src/relay/store";
import { type ReceiverFake, startReceiverFake } from "../../src/stand-ins/receiver";
import { captureLogger, post, sha, tempDir, waitFor } from "./helpers";

const MAIN = join(__dirname, "..", "..", "dist", "src", "cli", "main.js");
const exec = promisify(execFile);
const LEASE: Lease = { owner: "test", ms: 60_000 };

/** `sg-webhooks dlq ...`: exit code and output, whatever the exit code. */
async function dlq(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    return { code: 0, ...(await exec(process.execPath, [MAIN, "dlq", ...args], { timeout: 15_000 })) };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

let fake: ReceiverFake | undefined;
let relay: Relay | undefined;
afterAll(async () => {
  await relay?.close();
  await fake?.close();
});

describe("a receiver removed while its deliveries wait", () => {
  it("its deliveries are dead-lettered unforwarded, then replayed to the receiver that replaced it", async () => {
    const old = randomUUID();
    const renewed = randomUUID();
    const gitlab = randomUUID();
    fake = await startReceiverFake([
      // Sourcegraph still knows the old receiver, unsigned: an unsigned forward would be accepted.
      { uuid: old, codeHostKind: "GITHUB" },
      { uuid: renewed, codeHostKind: "GITHUB", secret: "renewed-secret" },
      { uuid: gitlab, codeHostKind: "GITLAB", secret: "gl-secret" },
    ]);
    fake.outage = 503;
    const dir = tempDir();
    const file = join(dir, "receivers.json");
    const write = (list: Array<{ uuid: string; codeHostKind: string; secrets: string[] }>) =>
      writeFileSync(file, JSON.stringify(list), { mode: 0o600 });
    write([
      { uuid: old, codeHostKind: "GITHUB", secrets: ["old-secret"] },
      { uuid: gitlab, codeHostKind: "GITLAB", secrets: ["gl-secret"] },
    ]);
    const data = join(dir, "data");
    const logs = captureLogger();
    relay = await startRelay({
      listen: { host: "127.0.0.1", port: 0 },
      forwardTo: fake.url,
      receivers: { file },
      dataDir: data,
      retryBaseMs: 20,
      retryMaxDelayMs: 50,
      logger: logs.logger,
    });
    const body = Buffer.from('{"zen":"waiting"}');
    const res = await post(
      `${relay.url}/.api/webhooks/${old}`,
      {
        "content-type": "application/json",
        "x-github-event": "push",
        "x-github-delivery": "d-1",
        "x-hub-signature-256": sha("sha256", "old-secret", body),
      },
      body,
    );
    expect(res.status).toBe(202);
    const glBody = Buffer.from('{"object_kind":"push"}');
    expect(
      (await post(`${relay.url}/.api/webhooks/${gitlab}`, { "x-gitlab-token": "gl-secret" }, glBody)).status,
    ).toBe(202);
    await waitFor(() => fake!.log.length >= 4, 15_000, "retries during the outage");

    // The operator re-created the receiver in Sourcegraph: the file now lists the new one.
    write([
      { uuid: renewed, codeHostKind: "GITHUB", secrets: ["renewed-secret"] },
      { uuid: gitlab, codeHostKind: "GITLAB", secrets: ["gl-secret"] },
    ]);
    await relay.reload();
    fake.outage = undefined;
    await waitFor(async () => (await relay!.store.counts()).dead === 1, 15_000, "the dead letter");
    await waitFor(() => fake!.accepted.length === 1, 15_000, "the GitLab delivery");
    expect(fake.seen.filter((d) => d.uuid === old)).toEqual([]);
    const [dead] = await relay.store.listDead();
    expect(dead).toMatchObject({ receiverUuid: old, reason: "unknown_receiver" });
    const warning = logs.lines.find((l) => l.includes("no longer among the relay's receivers"));
    expect(JSON.parse(warning!)).toMatchObject({
      level: 40,
      receiver: old,
      reason: "unknown_receiver",
      id: dead!.id,
    });
    expect(
      await relay.metrics.registry.getSingleMetricAsString("sg_webhooks_relay_dead_lettered_total"),
    ).toContain('reason="unknown_receiver"} 1');

    // Retargeting needs the receivers file, and a receiver of the same kind that it lists.
    expect(
      await dlq("replay", "--data-dir", data, "--receiver", old, "--to-receiver", renewed),
    ).toMatchObject({
      code: 2,
      stderr: expect.stringContaining("--to-receiver needs --receivers FILE"),
    });
    const stranger = randomUUID();
    expect(
      await dlq("replay", "--data-dir", data, "--all", "--to-receiver", stranger, "--receivers", file),
    ).toMatchObject({
      code: 1,
      stderr: expect.stringContaining(`receiver ${stranger} is not in ${file}`),
    });
    expect(
      await dlq(
        "replay",
        "--data-dir",
        data,
        "--id",
        String(dead!.id),
        "--to-receiver",
        gitlab,
        "--receivers",
        file,
      ),
    ).toMatchObject({
      code: 1,
      stderr: expect.stringContaining(
        `receiver ${gitlab} is a GITLAB receiver, and 1 of the dead letters selected is a delivery of GITHUB (${dead!.id}); nothing was replayed`,
      ),
    });
    expect((await relay.store.counts()).dead).toBe(1);

    const replay = await dlq(
      "replay",
      "--data-dir",
      data,
      "--receiver",
      old,
      "--to-receiver",
      renewed,
      "--receivers",
      file,
    );
    expect(replay).toEqual({
      code: 0,
      stdout: `queued 1 delivery again for receiver ${renewed} (GITHUB)\n`,
      stderr: "",
    });
    await waitFor(() => fake!.accepted.some((d) => d.uuid === renewed), 15_000, "the replayed delivery");
    const got = fake.accepted.find((d) => d.uuid === renewed)!;
    expect(got.body.equals(body)).toBe(true);
    expect(got.headers["x-hub-signature-256"]).toBe(sha("sha256", "renewed-secret", body));
    expect((await relay.store.counts()).dead).toBe(0);
  }, 60_000);
});

describe("dlq purge", () => {
  it("removes by ID, receiver, age or all, says what it removed, and a purged delivery's redelivery is new", async () => {
    const data = tempDir();
    const store = new SqliteStore(data);
    const now = Date.now();
    const dead = async (receiverUuid: string, deliveryId: string, deadAt: number) => {
      const added = await store.add(
        {
          receiverUuid,
          kind: "BITBUCKETCLOUD",
          event: "repo:push",
          deliveryId,
          headers: {},
          body: Buffer.from("{}"),
          receivedAt: deadAt - 1000,
        },
        LEASE,
      );
      await store.deadLetter(
        { id: added.id, claimId: added.claimId! },
        "bad_signature",
        { status: 400 },
        deadAt,
      );
      return added.id;
    };
    const a = randomUUID();
    const b = randomUUID();
    const old = await dead(a, "r-old", now - 10 * 86_400_000);
    const recent = await dead(a, "r-recent", now - 60_000);
    const other = await dead(b, "r-other", now - 60_000);
    const another = await dead(b, "r-another", now - 60_000);
    await store.close();

    // Usage errors: exit code 2, nothing removed (run together: none of them opens the store).
    const usage = await Promise.all([
      dlq("purge", "--data-dir", data, "--all"),
      dlq("purge", "--data-dir", data, "--yes"),
      dlq("purge", "--data-dir", data, "--all", "--receiver", a, "--yes"),
      dlq("purge", "--data-dir", data, "--older-than", "soon", "--yes"),
      dlq("purge", "--data-dir", data, "--receiver", "nope", "--yes"),
      dlq("purge", "--data-dir", join(data, "elsewhere"), "--all", "--yes"),
      dlq("purge", "--data-dir", data, "--all", "--bogus"),
    ]);
    expect(usage.map((u) => [u.code, u.stdout, u.stderr.split("\n")[0]])).toEqual([
      [
        2,
        "",
        "error: purging cannot be undone: pass --yes to remove, or --dry-run to see what would be removed",
      ],
      [2, "", "error: say what to purge: --id ID [ID...], --receiver UUID, --older-than DURATION or --all"],
      [
        2,
        "",
        "error: give one of --id ID [ID...], --receiver UUID, --older-than DURATION or --all, not --receiver UUID and --all",
      ],
      [2, "", 'error: --older-than "soon" must be a duration such as 500ms, 30s, 5m, 24h or 7d'],
      [2, "", 'error: --receiver "nope" is not a receiver UUID (see dlq list)'],
      [
        2,
        "",
        `error: no relay store in ${join(data, "elsewhere")} (relay.db is missing); pass the --data-dir that serve uses`,
      ],
      [2, "", "error: unknown option '--bogus'"],
    ]);

    const dry = await dlq("purge", "--data-dir", data, "--older-than", "7d", "--dry-run");
    expect(dry.code).toBe(0);
    expect(dry.stdout).toMatch(
      new RegExp(
        `^dry run, nothing removed: would remove 1 dead letter \\(2 bytes of bodies\\):\\nID .*\\n${old}\\s+${a}\\s+BITBUCKETCLOUD\\s+repo:push\\s+r-old\\s+bad_signature\\s`,
      ),
    );
    const removed = await dlq("purge", "--data-dir", data, "--older-than", "7d", "--yes", "--json");
    expect(removed.code).toBe(0);
    expect(JSON.parse(removed.stdout)).toMatchObject({
      id: old,
      receiver: a,
      deliveryId: "r-old",
      removed: true,
    });

    const byReceiver = await dlq("purge", "--data-dir", data, "--receiver", a, "--yes");
    expect(byReceiver.stdout).toMatch(new RegExp(`^removed 1 dead letter .*\\n.*\\n${recent}\\s+${a}\\s`));
    // An ID that is not there: said, exit code 1; the others are removed.
    const byId = await dlq("purge", "--data-dir", data, "--id", `${other},999`, "--yes");
    expect(byId.code).toBe(1);
    expect(byId.stdout).toContain("not in the dead-letter store: 999 (see dlq list)");
    expect(await dlq("purge", "--data-dir", data, "--all", "--yes")).toMatchObject({
      code: 0,
      stdout: expect.stringMatching(new RegExp(`^removed 1 dead letter .*\\n.*\\n${another}\\s+${b}\\s`)),
    });
    expect(await dlq("purge", "--data-dir", data, "--all", "--yes")).toEqual({
      code: 0,
      stdout: "no dead letter matches; nothing removed\n",
      stderr: "",
    });

    // The code hosts' redeliveries of what was purged are taken as new.
    const reopened = new SqliteStore(data);
    try {
      for (const [receiverUuid, deliveryId] of [
        [a, "r-old"],
        [a, "r-recent"],
        [b, "r-other"],
      ] as const) {
        const again = await reopened.add(
          {
            receiverUuid,
            kind: "BITBUCKETCLOUD",
            event: "repo:push",
            deliveryId,
            headers: {},
            body: Buffer.from("{}"),
            receivedAt: now,
          },
          LEASE,
        );
        expect(again.duplicate, deliveryId).toBe(false);
      }
    } finally {
      await reopened.close();
    }
  }, 60_000);
});
