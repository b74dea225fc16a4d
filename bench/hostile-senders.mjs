// The attack of the hostile-load drill (bench/drill-hostile.mjs), in a process of its own so that
// its work does not delay the drill's genuine deliveries or their timing. Everything goes to the
// relay on loopback and stops when the window ends; in-flight requests are cut then. Knows the
// receivers' UUIDs (they are in every hook's settings) and one captured genuine delivery, never a
// secret.
//
//   node bench/hostile-senders.mjs '<{ url, github, gitlab, bitbucketServer, captured, windowMs }>'
//
// `captured` is a file holding `{ body, signature256 }`: a genuine GitHub delivery's body (utf-8)
// and its X-Hub-Signature-256. Prints `RESULT <json>` (what each attacker sent and was answered),
// then exits.
import { createHash, randomBytes, randomUUID } from "node:crypto";
import { setMaxListeners } from "node:events";
import { readFileSync } from "node:fs";
import { connect } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { post, quantile, tallyOutcomes } from "./http-post.mjs";

const config = JSON.parse(process.argv[2]);
const { url, windowMs } = config;
const { hostname: host, port } = new URL(url);
const captured = JSON.parse(readFileSync(config.captured, "utf8"));
const capturedBody = Buffer.from(captured.body);

const ATTACK = {
  slowSenders: 100,
  slowBytesPerSecond: 1024,
  /** What each slow sender declares: large, yet under the relay's default 25 MiB body limit. */
  slowDeclaredBytes: 20 * 2 ** 20,
  formSenders: 3,
  formBytes: 23 * 2 ** 20,
  /** Each form sender stops after this many, should the window not end it first. */
  formsEach: 200,
  pings: 20,
  pingBytes: 5 * 2 ** 20,
  repeatSenders: 10,
  repeatPauseMs: 100,
};

const started = performance.now();
const over = () => performance.now() - started >= windowMs;
const end = new AbortController();
// One listener per request in flight, well over a hundred at once: not a leak.
setMaxListeners(0, end.signal);
setTimeout(() => end.abort(), windowMs);
const target = (uuid) => `${url}/.api/webhooks/${uuid}`;
const bogus = (alg) => `${alg}=${randomBytes(alg === "sha1" ? 20 : 32).toString("hex")}`;

// --- slow senders: a large Content-Length, then 1 KB a second -------------------------------------

/** Round-robin over the three kinds: GitHub and Bitbucket Server sign the body, GitLab sends a token. */
const SLOW_KINDS = [
  {
    kind: "github",
    uuid: config.github,
    headers: () => ({
      "X-GitHub-Event": "push",
      "X-GitHub-Delivery": randomUUID(),
      "X-Hub-Signature-256": bogus("sha256"),
    }),
  },
  {
    kind: "bitbucketServer",
    uuid: config.bitbucketServer,
    headers: () => ({ "X-Event-Key": "repo:refs_changed", "X-Hub-Signature": bogus("sha256") }),
  },
  {
    kind: "gitlab",
    uuid: config.gitlab,
    headers: () => ({
      "X-Gitlab-Event": "Push Hook",
      "X-Gitlab-Token": randomUUID(),
      "Idempotency-Key": randomUUID(),
    }),
  },
];
const slow = Object.fromEntries(
  SLOW_KINDS.map((k) => [k.kind, { connections: 0, answers: {}, closedByRelay: [], heldToTheEnd: 0 }]),
);
const open = new Set();
end.signal.addEventListener("abort", () => {
  for (const socket of open) socket.destroy();
});
const trickle = Buffer.alloc(ATTACK.slowBytesPerSecond, "x");

/** One connection: headers, then a trickle until the relay ends it or the window does. */
function slowConnection(kind) {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const socket = connect(Number(port), host);
    let status;
    let timer;
    socket.on("connect", () => {
      const lines = [
        `POST /.api/webhooks/${kind.uuid} HTTP/1.1`,
        `Host: ${host}:${port}`,
        "Content-Type: application/json",
        `Content-Length: ${ATTACK.slowDeclaredBytes}`,
        ...Object.entries(kind.headers()).map(([k, v]) => `${k}: ${v}`),
      ];
      socket.write(`${lines.join("\r\n")}\r\n\r\n{"pad":"`);
      timer = setInterval(() => socket.write(trickle), 1000);
    });
    socket.on("data", (chunk) => {
      status ??= /^HTTP\/1\.1 (\d{3})/.exec(chunk.toString("latin1"))?.[1] ?? "garbled";
    });
    socket.on("error", () => {});
    socket.on("close", () => {
      clearInterval(timer);
      resolve({ status, byRelay: !over(), seconds: (performance.now() - t0) / 1000 });
    });
    open.add(socket);
    socket.once("close", () => open.delete(socket));
  });
}

async function slowSender(i) {
  const kind = SLOW_KINDS[i % SLOW_KINDS.length];
  const stats = slow[kind.kind];
  // Spread over the first second, as senders arriving one by one.
  await sleep((i * 1000) / ATTACK.slowSenders);
  while (!over()) {
    stats.connections++;
    const o = await slowConnection(kind);
    if (o.status) stats.answers[o.status] = (stats.answers[o.status] ?? 0) + 1;
    if (o.byRelay) stats.closedByRelay.push(o.seconds);
    else stats.heldToTheEnd++;
    // Cut: come back, as an attacker keeping up the pressure would.
    if (!over()) await sleep(1000);
  }
}

// --- 23 MB form bodies with bogus GitHub signatures, again as each one is answered ------------------

const formBody = Buffer.alloc(ATTACK.formBytes, "a=b&");
const forms = [];

async function formSender() {
  for (let n = 0; n < ATTACK.formsEach && !over(); n++) {
    forms.push(
      await post(target(config.github), {
        headers: {
          "content-type": "application/x-www-form-urlencoded",
          "x-github-event": "push",
          "x-github-delivery": randomUUID(),
          "x-hub-signature-256": bogus("sha256"),
        },
        body: formBody,
        signal: end.signal,
      }),
    );
  }
}

// --- unsigned Bitbucket Server diagnostics:ping, 5 MB each, all at once ---------------------------

function pingBody(n) {
  const head = `{"test":true,"n":${n},"pad":"`;
  const body = Buffer.alloc(ATTACK.pingBytes, "x");
  body.write(head);
  body.write('"}', ATTACK.pingBytes - 2);
  return body;
}

async function pings() {
  return Promise.all(
    Array.from({ length: ATTACK.pings }, (_, n) =>
      post(target(config.bitbucketServer), {
        headers: { "content-type": "application/json", "x-event-key": "diagnostics:ping" },
        body: pingBody(n),
        signal: end.signal,
      }),
    ),
  );
}

// --- repeated headers on a captured genuine delivery (a fresh delivery ID, which is not signed) ----

const repeats = [];

async function repeatSender(i) {
  // Two event types (the relay checks one, Sourcegraph may read the other), or two signatures.
  const repeated =
    i % 2 === 0
      ? { "x-github-event": ["pull_request", "push"], "x-hub-signature-256": captured.signature256 }
      : { "x-github-event": "pull_request", "x-hub-signature-256": [captured.signature256, bogus("sha256")] };
  while (!over()) {
    repeats.push(
      await post(target(config.github), {
        headers: { "content-type": "application/json", "x-github-delivery": randomUUID(), ...repeated },
        body: capturedBody,
        signal: end.signal,
      }),
    );
    await sleep(ATTACK.repeatPauseMs);
  }
}

// --- all at once, then what each got -------------------------------------------------------------

const [pinged] = await Promise.all([
  sleep(1000).then(pings),
  ...Array.from({ length: ATTACK.slowSenders }, (_, i) => slowSender(i)),
  ...Array.from({ length: ATTACK.formSenders }, formSender),
  ...Array.from({ length: ATTACK.repeatSenders }, (_, i) => repeatSender(i)),
]);

const answered = (outcomes) => outcomes.filter((o) => o.status !== undefined).map((o) => o.ms);
const summary = (outcomes) => ({
  sent: outcomes.length,
  outcomes: tallyOutcomes(outcomes),
  answerMsP50: quantile(answered(outcomes), 0.5),
  answerMsMax: Math.max(0, ...answered(outcomes)),
});
const result = {
  attack: ATTACK,
  slow: Object.fromEntries(
    Object.entries(slow).map(([kind, s]) => [
      kind,
      {
        connections: s.connections,
        answers: s.answers,
        closedByRelay: s.closedByRelay.length,
        closedAfterSecondsP50: quantile(s.closedByRelay, 0.5),
        heldToTheEnd: s.heldToTheEnd,
      },
    ]),
  ),
  forms: summary(forms),
  pings: summary(pinged),
  repeats: summary(repeats),
  formDigest: createHash("sha256").update(formBody).digest("hex"),
};
process.stdout.write(`RESULT ${JSON.stringify(result)}\n`);
process.exit(0);
