// redeliver through the relay for GitLab: GitLab saw the relay's 202, so the events to resend are
// the relay's dead letters, matched to GitLab's hook events by Idempotency-Key; the resends keep the
// key, the relay revives each dead letter, and Sourcegraph receives each event once.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { afterEach, beforeEach, expect, it, vi } from "vitest";
import { openRelayRecords, runRedeliver } from "../../src/doctor";
import { type Relay, startRelay } from "../../src/relay";
import { type GitLabFake, startGitLabFake } from "../../src/stand-ins/gitlab";
import { type SourcegraphFake, startSourcegraphFake } from "../../src/stand-ins/sourcegraph";
import { outputs, quick, sourcegraphEnv } from "./helpers";

const TOKEN = "gl-test-doctor-relay-0123456789";
const SECRET = "doctor-relay-gitlab-secret-0123456789";
const EVENTS = ["merge_requests_events", "pipeline_events", "push_events"];

let sg: SourcegraphFake;
let gl: GitLabFake;
let relay: Relay;
let dataDir: string;
let plan: string;

beforeEach(async () => {
  sg = await startSourcegraphFake();
  gl = await startGitLabFake({ tokens: { [TOKEN]: "owner" }, projects: ["acme/app"] });
  sourcegraphEnv(sg.url);
  vi.stubEnv("GITLAB_TOKEN", TOKEN);
  const receiver = sg.seed({
    name: "prod-gitlab",
    codeHostKind: "GITLAB",
    codeHostURN: gl.url,
    secret: SECRET,
  });
  dataDir = mkdtempSync(join(tmpdir(), "doctor-relay-gitlab-"));
  relay = await startRelay({
    listen: { host: "127.0.0.1", port: 0 },
    forwardTo: sg.url,
    receivers: { list: [{ uuid: receiver.uuid, codeHostKind: "GITLAB", secrets: [SECRET] }] },
    dataDir,
    retryBaseMs: 5,
    retryMaxDelayMs: 50,
    maxAgeMs: 400,
    logger: pino({ level: "silent" }),
  });
  const url = `${sg.url}/.api/webhooks/${receiver.uuid}`;
  const deliveryUrl = `${relay.url}/.api/webhooks/${receiver.uuid}`;
  const hook = gl.addHook("project", "acme/app", { url: deliveryUrl, token: SECRET, events: EVENTS });
  const connection = "gitlab/gitlab";
  plan = outputs(
    [{ connection, codeHostKind: "GITLAB", codeHostUrn: gl.url, uuid: receiver.uuid, url, deliveryUrl }],
    [
      {
        connection,
        codeHost: "gitlab",
        kind: "project",
        target: "acme/app",
        id: String(hook.id),
        receiverUuid: receiver.uuid,
        deliveryUrl,
        apiUrl: `${gl.url}/api/v4`,
        events: EVENTS,
      },
    ],
  );
});

afterEach(async () => {
  vi.unstubAllEnvs();
  await relay.close().catch(() => undefined);
  await Promise.all([sg.close(), gl.close()]);
  rmSync(dataDir, { recursive: true, force: true });
});

it("resends the relay's expired dead letters by Idempotency-Key, each reaching Sourcegraph once", async () => {
  await sg.refuseConnections();
  const keys: string[] = [];
  for (let i = 0; i < 3; i++) {
    const [run] = await gl.emit("project", "acme/app", "push_events");
    expect(run!.status).toBe(202);
    keys.push(run!.log.idempotencyKey);
  }
  const records = openRelayRecords(dataDir);
  try {
    await vi.waitFor(async () => expect(await records.records({ states: ["expired"] }, 10)).toHaveLength(3), {
      timeout: 10_000,
      interval: 100,
    });
  } finally {
    await records.close();
  }
  await sg.acceptConnections();

  const first = await runRedeliver(quick(plan, { relayDataDir: dataDir }));
  expect(first.actions.map((a) => a.outcome)).toEqual(["redelivered", "redelivered", "redelivered"]);
  const received = () =>
    sg.deliveries.filter((d) => keys.includes(String(d.headers["idempotency-key"]))).map((d) => d.status);
  await vi.waitFor(() => expect(received()).toEqual([200, 200, 200]), { timeout: 10_000, interval: 50 });

  const second = await runRedeliver(quick(plan, { relayDataDir: dataDir }));
  expect(second.actions).toEqual([expect.objectContaining({ outcome: "nothing" })]);
  expect(received()).toHaveLength(3);
});
