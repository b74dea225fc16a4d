// What the relay's tests share: the captured deliveries (test/fixtures/ingest) as they are signed and
// sent, HTTP calls, waiting for a condition, a logger whose lines are kept, and a store with some
// of its methods replaced.
import { createHmac } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import pino from "pino";
import { request } from "undici";
import type { DeliveryStore } from "../../src/relay/store";

export const FIXTURES = join(__dirname, "..", "fixtures", "ingest");
export const TEST_SECRET = "It's a Secret to Everybody";

export const sha = (alg: string, secret: string, body: Uint8Array) =>
  `${alg}=${createHmac(alg, secret).update(body).digest("hex")}`;

export function tempDir(prefix = "sg-relay-"): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export interface Fixture {
  file: string;
  kind: "GITHUB" | "GITLAB" | "BITBUCKETSERVER" | "BITBUCKETCLOUD";
  headers: Record<string, string>;
  body: Buffer;
}

const KIND_OF_DIR = {
  github: "GITHUB",
  gitlab: "GITLAB",
  "bitbucket-cloud": "BITBUCKETCLOUD",
  "bitbucket-server": "BITBUCKETSERVER",
} as const;

export function fixtures(): Fixture[] {
  const out: Fixture[] = [];
  for (const [dir, kind] of Object.entries(KIND_OF_DIR)) {
    for (const file of readdirSync(join(FIXTURES, dir)).filter((f) => f.endsWith(".json"))) {
      const d = JSON.parse(readFileSync(join(FIXTURES, dir, file), "utf8"));
      out.push({
        file: `${dir}/${file}`,
        kind,
        headers: d.headers,
        body: Buffer.from(JSON.stringify(d.payload)),
      });
    }
  }
  return out;
}

export async function post(url: string, headers: Record<string, string>, body: Uint8Array | string) {
  const res = await request(url, {
    method: "POST",
    headers,
    body: typeof body === "string" ? body : Buffer.from(body),
  });
  return { status: res.statusCode, text: await res.body.text() };
}

export async function get(url: string) {
  const res = await request(url);
  return { status: res.statusCode, text: await res.body.text() };
}

export async function waitFor(
  cond: () => boolean | Promise<boolean>,
  timeoutMs = 10_000,
  what = "condition",
): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A pino logger whose lines are kept, to search them for secrets and bodies. */
export function captureLogger() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      lines.push(String(chunk));
      cb();
    },
  });
  return { logger: pino({ level: "debug" }, stream), lines };
}

/** `inner`, with some of its methods replaced: a store that fails, answers late or counts calls. */
export function storeWith(inner: DeliveryStore, replaced: Partial<DeliveryStore>): DeliveryStore {
  return {
    add: (d, lease) => inner.add(d, lease),
    claim: (now, limit, lease) => inner.claim(now, limit, lease),
    heartbeat: (claims, now, lease) => inner.heartbeat(claims, now, lease),
    release: (claims) => inner.release(claims),
    complete: (claim, outcome, result, now) => inner.complete(claim, outcome, result, now),
    retryLater: (claim, at, result, now) => inner.retryLater(claim, at, result, now),
    deadLetter: (claim, reason, result, now) => inner.deadLetter(claim, reason, result, now),
    sweep: (now) => inner.sweep(now),
    nextDueAt: (owner) => inner.nextDueAt(owner),
    counts: () => inner.counts(),
    listDead: (limit) => inner.listDead(limit),
    replay: (filter, now, retarget) => inner.replay(filter, now, retarget),
    purgeDead: (filter, dryRun) => inner.purgeDead(filter, dryRun),
    records: (filter, limit) => inner.records(filter, limit),
    prune: (before) => inner.prune(before),
    close: () => inner.close(),
    ...replaced,
  };
}
