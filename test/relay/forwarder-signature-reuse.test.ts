// Proves the relay forwards GitHub's and Bitbucket's own signature while Sourcegraph's secret made it, and signs again otherwise.
// The code hosts here sign with uppercase hex (valid, and read by Sourcegraph as any hex), so a
// forwarded header shows whether it is the code host's (uppercase) or the relay's (lowercase, and
// for GitHub with the SHA-1 header beside it). Re-signed: after a rotation, after the receivers
// were read again with another secrets[0], and after a restart (the fingerprint is per process).
// GitLab's token is never kept: it is not in relay.db even while its delivery waits there.
import { randomUUID } from "node:crypto";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import { DATABASE_FILE, type Relay, startRelay } from "../../src/relay";
import { type ReceiverFake, startReceiverFake } from "../../src/stand-ins/receiver";
import { captureLogger, post, sha, tempDir, waitFor } from "./helpers";

const upper = (signature: string) => signature.replace(/=(.*)$/, (_, hex: string) => `=${hex.toUpperCase()}`);
const body = Buffer.from('{"ref":"refs/heads/main","zen":"Design for failure."}');
const gh = (secret: string) => ({
  "content-type": "application/json",
  "x-github-event": "push",
  "x-github-delivery": randomUUID(),
  "x-hub-signature-256": upper(sha("sha256", secret, body)),
  "x-hub-signature": upper(sha("sha1", secret, body)),
});
const bbc = (secret: string) => ({
  "x-event-key": "repo:push",
  "x-request-uuid": randomUUID(),
  "x-hub-signature": upper(sha("sha256", secret, body)),
});

const ids = { GITHUB: randomUUID(), BITBUCKETCLOUD: randomUUID(), GITLAB: randomUUID() };
let fake: ReceiverFake | undefined;
const relays: Relay[] = [];
afterEach(async () => {
  for (const r of relays.splice(0)) await r.close();
  await fake?.close();
  fake = undefined;
});

async function relayOn(dataDir: string, receiversFile: string): Promise<Relay> {
  const relay = await startRelay({
    listen: { host: "127.0.0.1", port: 0 },
    forwardTo: fake!.url,
    receivers: { file: receiversFile },
    dataDir,
    retryBaseMs: 5,
    retryMaxDelayMs: 20,
    shutdownGraceMs: 100,
    logger: captureLogger().logger,
  });
  relays.push(relay);
  return relay;
}

/** Sourcegraph (the fake) holding `secret` for every receiver, and a receivers file listing `secrets`. */
async function setUp(secret: string, secrets: string[]): Promise<string> {
  fake = await startReceiverFake(
    Object.entries(ids).map(([kind, uuid]) => ({
      uuid,
      codeHostKind: kind as keyof typeof ids,
      secret,
    })),
  );
  const file = join(tempDir(), "receivers.json");
  writeReceivers(file, secrets);
  return file;
}

function writeReceivers(file: string, secrets: string[]): void {
  const list = Object.entries(ids).map(([codeHostKind, uuid]) => ({ uuid, codeHostKind, secrets }));
  writeFileSync(file, JSON.stringify(list), { mode: 0o600 });
}

const hook = (relay: Relay, uuid: string) => `${relay.url}/.api/webhooks/${uuid}`;
const forwarded = (uuid: string) => fake!.accepted.filter((d) => d.uuid === uuid).at(-1)!.headers;

describe("forwarding the code host's own signature", () => {
  it("is what Sourcegraph gets when secrets[0] made it: X-Hub-Signature-256 alone for GitHub, X-Hub-Signature for Bitbucket", async () => {
    const file = await setUp("s", ["s"]);
    const relay = await relayOn(tempDir(), file);
    const github = gh("s");
    const bitbucket = bbc("s");
    expect((await post(hook(relay, ids.GITHUB), github, body)).status).toBe(202);
    expect((await post(hook(relay, ids.BITBUCKETCLOUD), bitbucket, body)).status).toBe(202);
    await waitFor(() => fake!.accepted.length === 2, 10_000, "both deliveries at Sourcegraph");
    expect(forwarded(ids.GITHUB)["x-hub-signature-256"]).toBe(github["x-hub-signature-256"]);
    expect(forwarded(ids.GITHUB)).not.toHaveProperty("x-hub-signature");
    expect(forwarded(ids.BITBUCKETCLOUD)["x-hub-signature"]).toBe(bitbucket["x-hub-signature"]);
  });

  it("is kept through retries: a delivery that waited in the store still goes with it", async () => {
    const file = await setUp("s", ["s"]);
    const relay = await relayOn(tempDir(), file);
    fake!.outage = 503;
    const github = gh("s");
    expect((await post(hook(relay, ids.GITHUB), github, body)).status).toBe(202);
    await waitFor(
      async () => (await relay.store.records({ states: ["pending"] }, 1))[0]?.lastStatus === 503,
      10_000,
      "a failed attempt",
    );
    fake!.outage = undefined;
    await waitFor(() => fake!.accepted.length === 1, 10_000, "the delivery at Sourcegraph");
    expect(forwarded(ids.GITHUB)["x-hub-signature-256"]).toBe(github["x-hub-signature-256"]);
    expect(forwarded(ids.GITHUB)).not.toHaveProperty("x-hub-signature");
  });

  it("is replaced by a new signature when the code host signed with an older secret (rotation)", async () => {
    const file = await setUp("new", ["new", "old"]);
    const relay = await relayOn(tempDir(), file);
    expect((await post(hook(relay, ids.GITHUB), gh("old"), body)).status).toBe(202);
    expect((await post(hook(relay, ids.BITBUCKETCLOUD), bbc("old"), body)).status).toBe(202);
    await waitFor(() => fake!.accepted.length === 2, 10_000, "both deliveries at Sourcegraph");
    expect(forwarded(ids.GITHUB)["x-hub-signature-256"]).toBe(sha("sha256", "new", body));
    expect(forwarded(ids.GITHUB)["x-hub-signature"]).toBe(sha("sha1", "new", body));
    expect(forwarded(ids.BITBUCKETCLOUD)["x-hub-signature"]).toBe(sha("sha256", "new", body));
  });

  it("is replaced when secrets[0] changed while the delivery waited (receivers read again)", async () => {
    const file = await setUp("s", ["s"]);
    const relay = await relayOn(tempDir(), file);
    fake!.outage = 503;
    expect((await post(hook(relay, ids.BITBUCKETCLOUD), bbc("s"), body)).status).toBe(202);
    // Sourcegraph now holds another secret, and so does the receivers file, read again (SIGHUP).
    fake!.receivers.get(ids.BITBUCKETCLOUD)!.secret = "t";
    writeReceivers(file, ["t", "s"]);
    await relay.reload();
    // An attempt built before the reload may still be on its way, signed with "s", which
    // Sourcegraph would now refuse for good. Attempts at one delivery go one after another, so
    // the second one answered after the reload was built after it.
    const before = fake!.log.length;
    await waitFor(() => fake!.log.length >= before + 2, 10_000, "two attempts after the reload");
    fake!.outage = undefined;
    await waitFor(() => fake!.accepted.length === 1, 10_000, "the delivery at Sourcegraph");
    expect(forwarded(ids.BITBUCKETCLOUD)["x-hub-signature"]).toBe(sha("sha256", "t", body));
  });

  it("is replaced by a relay started after the one that kept it, whose fingerprints match nothing", async () => {
    const file = await setUp("s", ["s"]);
    const dataDir = tempDir();
    const first = await relayOn(dataDir, file);
    fake!.outage = 503;
    expect((await post(hook(first, ids.GITHUB), gh("s"), body)).status).toBe(202);
    await first.close();
    relays.splice(relays.indexOf(first), 1);
    fake!.outage = undefined;
    await relayOn(dataDir, file);
    await waitFor(() => fake!.accepted.length === 1, 10_000, "the delivery at Sourcegraph");
    expect(forwarded(ids.GITHUB)["x-hub-signature-256"]).toBe(sha("sha256", "s", body));
    expect(forwarded(ids.GITHUB)["x-hub-signature"]).toBe(sha("sha1", "s", body));
  });

  it("never keeps GitLab's token: relay.db holds no trace of it while the delivery waits", async () => {
    const token = `gitlab-token-${randomUUID()}`;
    const file = await setUp(token, [token]);
    const dataDir = tempDir();
    const relay = await relayOn(dataDir, file);
    fake!.outage = 503;
    const headers = { "x-gitlab-token": token, "idempotency-key": randomUUID() };
    expect((await post(hook(relay, ids.GITLAB), headers, '{"object_kind":"push"}')).status).toBe(202);
    const db = new Database(join(dataDir, DATABASE_FILE), { readonly: true });
    try {
      expect(db.prepare("SELECT signature, signature_secret, state FROM deliveries").all()).toEqual([
        { signature: null, signature_secret: null, state: "pending" },
      ]);
    } finally {
      db.close();
    }
    for (const name of readdirSync(dataDir)) {
      expect(readFileSync(join(dataDir, name)).includes(token), name).toBe(false);
    }
    fake!.outage = undefined;
    await waitFor(() => fake!.accepted.length === 1, 10_000, "the delivery at Sourcegraph");
  });
});
