// Stand-in for Sourcegraph's delivery endpoint alone; follows reference/sourcegraph-api.md section 3.
// Sourcegraph's delivery endpoint, `POST /.api/webhooks/<uuid>`, alone, for the relay's tests and
// benchmarks: the router's 400/404, each code host's check with the receiver's one secret and
// its answers to unknown events (Sourcegraph cmd/frontend/webhooks/*.go and the per-kind handlers
// under cmd/frontend/internal/*/webhooks/). The verification is written apart from src/ingest on
// purpose, so the relay is checked against a second reading of Sourcegraph rather than against
// itself; only the list of event types the parsers know is shared, from providers/events.
import { createHmac, timingSafeEqual } from "node:crypto";
import type { IncomingHttpHeaders } from "node:http";
import { SOURCEGRAPH_PARSED_EVENTS } from "../../../providers/events";
import {
  type FakeRequest,
  type FakeResponse,
  type FakeServer,
  type FakeServerOptions,
  startFakeServer,
  text,
} from "../server";

export type Kind = "GITHUB" | "GITLAB" | "BITBUCKETSERVER" | "BITBUCKETCLOUD";

export interface FakeReceiver {
  readonly uuid: string;
  readonly codeHostKind: Kind;
  /** The one secret Sourcegraph holds; none: nothing is checked. */
  secret?: string;
}

export interface ReceivedDelivery {
  readonly uuid: string;
  readonly kind: Kind;
  readonly event: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
  readonly status: number;
  /**
   * When the request had arrived whole (ms since the epoch): Sourcegraph's handler starts then, and
   * the answer follows at once, or after `latencyMs`.
   */
  readonly receivedAt: number;
}

export interface ReceiverFake extends FakeServer {
  /** Receivers by UUID; change `secret` to simulate a rotation in Sourcegraph. */
  readonly receivers: Map<string, FakeReceiver>;
  /** Deliveries that passed verification and parsing (2xx), in order. */
  readonly accepted: ReceivedDelivery[];
  /** Every delivery that reached a known receiver, with the status answered. */
  readonly seen: ReceivedDelivery[];
  /** While set, every request is answered with this status (an outage, such as 503). */
  outage: number | undefined;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const GITLAB_KINDS: ReadonlySet<string> = new Set(SOURCEGRAPH_PARSED_EVENTS.GITLAB);
const BBS_KEYS: ReadonlySet<string> = new Set(SOURCEGRAPH_PARSED_EVENTS.BITBUCKETSERVER);
const BBC_KEYS: ReadonlySet<string> = new Set(SOURCEGRAPH_PARSED_EVENTS.BITBUCKETCLOUD);

const BAD = "Could not validate payload with secret.\n";
const first = (v: string | string[] | undefined): string => (Array.isArray(v) ? (v[0] ?? "") : (v ?? ""));

function hubSignatureOk(signature: string, body: Buffer, secret: string): boolean {
  const m = /^(sha1|sha256|sha512)=([0-9a-fA-F]*)$/.exec(signature);
  if (!m || m[2]!.length % 2 !== 0) return false;
  const given = Buffer.from(m[2]!, "hex");
  const want = createHmac(m[1]!, secret).update(body).digest();
  return given.length === want.length && timingSafeEqual(given, want);
}

function isJson(body: Buffer): boolean {
  try {
    JSON.parse(body.toString("utf8"));
    return true;
  } catch {
    return false;
  }
}

/** Sourcegraph's per-kind handler; returns the answer and the event type it saw. */
function handleKind(r: FakeReceiver, req: FakeRequest): { res: FakeResponse; event: string } {
  const h = req.headers;
  const body = req.body;
  switch (r.codeHostKind) {
    case "GITHUB": {
      const event = first(h["x-github-event"]);
      if (r.secret) {
        const type = first(h["content-type"]).split(";")[0]!.trim().toLowerCase();
        if (type !== "application/json" && type !== "application/x-www-form-urlencoded")
          return { res: text(400, BAD), event };
        const sig = first(h["x-hub-signature-256"]) || first(h["x-hub-signature"]);
        if (!hubSignatureOk(sig, body, r.secret)) return { res: text(400, BAD), event };
      }
      if (event === "" || event.startsWith("unknown"))
        return { res: text(400, `unknown X-Github-Event in message: ${event}\n`), event };
      return { res: { status: 200 }, event };
    }
    case "GITLAB": {
      if (r.secret) {
        const token = Buffer.from(first(h["x-gitlab-token"]), "latin1");
        const want = Buffer.from(r.secret, "utf8");
        if (token.length !== want.length || !timingSafeEqual(token, want))
          return { res: text(400, BAD), event: "" };
      }
      let kind: unknown;
      try {
        kind = (JSON.parse(body.toString("utf8")) as { object_kind?: unknown } | null)?.object_kind ?? "";
      } catch (err) {
        return { res: text(500, `determining object kind: ${(err as Error).message}\n`), event: "" };
      }
      const event = String(kind);
      if (!GITLAB_KINDS.has(event)) return { res: { status: 204 }, event };
      return { res: { status: 200 }, event };
    }
    case "BITBUCKETSERVER": {
      const event = first(h["x-event-key"]);
      const sig = first(h["x-hub-signature"]);
      if (!(sig === "" && event === "diagnostics:ping") && r.secret && !hubSignatureOk(sig, body, r.secret)) {
        return { res: text(400, BAD), event };
      }
      if (!BBS_KEYS.has(event))
        return { res: text(400, `parsing webhook: unknown webhook event type: "${event}"\n`), event };
      return { res: { status: 200 }, event };
    }
    case "BITBUCKETCLOUD": {
      const event = first(h["x-event-key"]);
      if (r.secret && !hubSignatureOk(first(h["x-hub-signature"]), body, r.secret))
        return { res: text(400, BAD), event };
      if (!BBC_KEYS.has(event)) return { res: text(404, `unknown webhook event key: ${event}\n`), event };
      if (!isJson(body)) return { res: text(500, "unmarshalling payload\n"), event };
      return { res: { status: 200 }, event };
    }
  }
}

export async function startReceiverFake(
  receivers: readonly FakeReceiver[],
  opts: Pick<FakeServerOptions, "port" | "latencyMs"> = {},
): Promise<ReceiverFake> {
  const map = new Map(receivers.map((r) => [r.uuid.toLowerCase(), { ...r }]));
  const accepted: ReceivedDelivery[] = [];
  const seen: ReceivedDelivery[] = [];
  const state = { outage: undefined as number | undefined };

  const server = await startFakeServer((req) => {
    if (state.outage !== undefined) return text(state.outage, "Sourcegraph is down\n");
    if (!req.path.startsWith("/.api/webhooks")) return text(404, "404 page not found\n");
    if (req.method !== "POST") return text(405, "Method Not Allowed\n");
    const raw = decodeURIComponent(req.path.slice("/.api/webhooks/".length));
    if (raw === "") return text(400, "missing uuid\n");
    if (!UUID.test(raw)) return text(400, `Could not parse UUID from URL path "${raw}".\n`);
    const r = map.get(raw.toLowerCase());
    if (!r) return text(404, "Could not find webhook with provided UUID.\n");
    const { res, event } = handleKind(r, req);
    const d = {
      uuid: r.uuid,
      kind: r.codeHostKind,
      event,
      headers: req.headers,
      body: req.body,
      status: res.status,
      receivedAt: Date.now(),
    };
    seen.push(d);
    if (res.status >= 200 && res.status < 300) accepted.push(d);
    return res;
  }, opts);

  const fake = Object.assign(server, { receivers: map, accepted, seen }) as ReceiverFake;
  // An accessor, so that setting `outage` reaches the handler (Object.assign would copy a value).
  Object.defineProperty(fake, "outage", {
    get: () => state.outage,
    set: (v: number | undefined) => {
      state.outage = v;
    },
    enumerable: true,
  });
  return fake;
}
