// Stand-in for Bitbucket Cloud's webhook REST API; follows reference/codehost-apis.md section 3.
// A contract-faithful Bitbucket Cloud 2.0 webhook API: repository and workspace hooks, Bearer or
// Basic (Atlassian e-mail + API token) auth, the write-only secret with `secret_set`, event-key
// validation, pagination with `values`/`next`/`pagelen`, and the hourly request budget answering
// 429. Sources: Bitbucket's Swagger (node-bitbucket `specification/`) and Atlassian's webhook API
// documentation (developer.atlassian.com/cloud/bitbucket/rest/api-group-webhooks/).
import { createHmac, randomUUID } from "node:crypto";
import * as http from "node:http";
import { BITBUCKET_CLOUD_EVENTS } from "../../../providers/events";
import { SlidingWindow } from "../rate-limit";
import {
  type FakeRequest,
  type FakeResponse,
  type FakeServer,
  json,
  type NetworkOptions,
  startFakeServer,
} from "../server";

export interface BitbucketCloudFakeOptions {
  /** Workspace slug -> repository slugs. Default `{ acme: ["widgets", "gadgets"] }`. */
  readonly workspaces?: Record<string, readonly string[]>;
  /** Access tokens accepted as `Authorization: Bearer`. Default `["bbc-access-token"]`. */
  readonly tokens?: readonly string[];
  /** Atlassian accounts accepted as Basic `email:apiToken`. */
  readonly accounts?: ReadonlyArray<{ readonly email: string; readonly apiToken: string }>;
  /** Tokens that authenticate but lack the webhook scope: every hook call answers 403. */
  readonly tokensWithoutWebhookScope?: readonly string[];
  /** Items per page when the client asks for none. Default 10 (Bitbucket's default). */
  readonly pagelen?: number;
  /**
   * The webhook request budget (Bitbucket Cloud: 1,000 an hour, rolling): past `limit` requests
   * within `windowMs`, answer 429, with `Retry-After: retryAfter` seconds when given.
   */
  readonly rateLimit?: { readonly limit: number; readonly windowMs: number; readonly retryAfter?: number };
  /** On create, POST a `repo:push` test delivery to the hook URL and record the answer. */
  readonly deliverTestEvents?: boolean;
  /** Latency and rate limit of the shared plumbing (../server.ts), for every request. */
  readonly network?: NetworkOptions;
}

/** A stored hook, including what the API never returns (the secret). */
export interface StoredHook {
  uuid: string;
  workspace: string;
  /** Absent for a workspace hook. */
  repository?: string;
  url: string;
  description: string;
  active: boolean;
  events: string[];
  secret: string | null;
  created_at: string;
}

export interface Delivery {
  readonly hookUuid: string;
  readonly url: string;
  readonly headers: Record<string, string>;
  readonly body: string;
  /** The receiver's status, or the connection error. */
  readonly outcome: number | string;
}

export interface BitbucketCloudFake {
  readonly server: FakeServer;
  /** The API base to give the client, e.g. `http://127.0.0.1:1234/2.0`. */
  readonly apiUrl: string;
  /** Hooks, optionally of one workspace or repository (`"acme"` or `"acme/widgets"`). */
  hooks(scope?: string): StoredHook[];
  /** One hook by UUID (with or without braces). */
  hook(uuid: string): StoredHook | undefined;
  /** Changes a hook behind the client's back (drift). */
  setHook(uuid: string, patch: Partial<Omit<StoredHook, "uuid">>): void;
  /** Adds a hook as if made by hand in the UI; returns it. */
  addHook(
    hook: Omit<StoredHook, "uuid" | "created_at" | "active" | "secret"> & Partial<StoredHook>,
  ): StoredHook;
  removeHook(uuid: string): void;
  readonly deliveries: Delivery[];
  /** The parsed JSON bodies of the create and update calls that reached the API, in order. */
  readonly writes: Array<{
    readonly method: string;
    readonly path: string;
    readonly body: Record<string, unknown>;
  }>;
  close(): Promise<void>;
}

const braced = (uuid: string): string => `{${uuid.replace(/^\{|\}$/g, "")}}`;

function error(status: number, message: string, extra: Record<string, unknown> = {}): FakeResponse {
  return json(status, { type: "error", error: { message, ...extra } });
}

export async function startBitbucketCloudFake(
  opts: BitbucketCloudFakeOptions = {},
): Promise<BitbucketCloudFake> {
  const workspaces = opts.workspaces ?? { acme: ["widgets", "gadgets"] };
  const tokens = new Set(opts.tokens ?? ["bbc-access-token"]);
  const noScope = new Set(opts.tokensWithoutWebhookScope ?? []);
  const accounts = opts.accounts ?? [];
  const defaultPagelen = opts.pagelen ?? 10;
  const hooks = new Map<string, StoredHook>();
  const deliveries: Delivery[] = [];
  const writes: BitbucketCloudFake["writes"] = [];
  const budget = opts.rateLimit ? new SlidingWindow(opts.rateLimit) : undefined;
  const known = new Set(BITBUCKET_CLOUD_EVENTS);

  const view = (h: StoredHook, base: string) => {
    const path = h.repository
      ? `/repositories/${h.workspace}/${h.repository}/hooks/${encodeURIComponent(h.uuid)}`
      : `/workspaces/${h.workspace}/hooks/${encodeURIComponent(h.uuid)}`;
    return {
      type: "webhook_subscription",
      uuid: h.uuid,
      url: h.url,
      description: h.description,
      subject_type: h.repository ? "repository" : "workspace",
      subject: h.repository
        ? { type: "repository", full_name: `${h.workspace}/${h.repository}` }
        : { type: "workspace", slug: h.workspace },
      active: h.active,
      created_at: h.created_at,
      events: [...h.events],
      // The secret itself is never returned (Swagger: "never returned via the API").
      secret_set: h.secret !== null && h.secret !== "",
      links: { self: { href: `${base}${path}` } },
    };
  };

  /** Who is calling: "ok", "noscope", or undefined when the credentials are refused. */
  const authenticate = (req: FakeRequest): "ok" | "noscope" | undefined => {
    const auth = String(req.headers.authorization ?? "");
    if (auth.startsWith("Bearer ")) {
      const t = auth.slice(7);
      if (noScope.has(t)) return "noscope";
      return tokens.has(t) ? "ok" : undefined;
    }
    if (auth.startsWith("Basic ")) {
      const decoded = Buffer.from(auth.slice(6), "base64").toString("utf8");
      const i = decoded.indexOf(":");
      const user = decoded.slice(0, i);
      const pass = decoded.slice(i + 1);
      if (noScope.has(pass)) return "noscope";
      return accounts.some((a) => a.email === user && a.apiToken === pass) ? "ok" : undefined;
    }
    return undefined;
  };

  /** Validates a hook body; returns the error answer or the parsed fields. */
  const parseBody = (
    req: FakeRequest,
    creating: boolean,
  ):
    | FakeResponse
    | { url?: string; description?: string; active?: boolean; events?: string[]; secret?: string | null } => {
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(req.body.toString("utf8") || "{}");
    } catch {
      return error(400, "Bad request", { detail: "The request body is not valid JSON." });
    }
    if (!body || typeof body !== "object" || Array.isArray(body)) return error(400, "Bad request");
    const fields: Record<string, string[]> = {};
    const out: {
      url?: string;
      description?: string;
      active?: boolean;
      events?: string[];
      secret?: string | null;
    } = {};
    if (body.url !== undefined || creating) {
      if (typeof body.url !== "string" || !/^https?:\/\/[^\s/]+/.test(body.url)) {
        fields.url = ["Enter a valid URL."];
      } else out.url = body.url;
    }
    if (body.description !== undefined) {
      if (typeof body.description !== "string") fields.description = ["Not a valid string."];
      else out.description = body.description;
    }
    if (body.active !== undefined) {
      if (typeof body.active !== "boolean") fields.active = ["Must be a valid boolean."];
      else out.active = body.active;
    }
    if (body.events !== undefined || creating) {
      const ev = body.events;
      if (!Array.isArray(ev) || ev.length === 0) {
        fields.events = ["This field is required."];
      } else {
        const bad = ev.filter((e) => typeof e !== "string" || !known.has(e));
        if (bad.length > 0) fields.events = bad.map((e) => `"${String(e)}" is not a valid choice.`);
        else if (new Set(ev).size !== ev.length) fields.events = ["Events must be unique."];
        else out.events = ev as string[];
      }
    }
    if ("secret" in body) {
      // null or "" removes the secret; leaving the field out keeps it (Swagger `secret`).
      if (body.secret === null || body.secret === "") out.secret = null;
      else if (typeof body.secret !== "string") fields.secret = ["Not a valid string."];
      else if (body.secret.length > 128)
        fields.secret = ["Ensure this field has no more than 128 characters."];
      else out.secret = body.secret;
    }
    if (Object.keys(fields).length > 0) return error(400, "Bad request", { fields });
    writes.push({ method: req.method, path: req.path, body });
    return out;
  };

  const deliver = async (h: StoredHook): Promise<void> => {
    const body = JSON.stringify({
      actor: { display_name: "Fake Bitbucket", uuid: "{00000000-0000-4000-8000-000000000001}" },
      repository: {
        full_name: `${h.workspace}/${h.repository ?? "any-repository"}`,
        name: h.repository ?? "any-repository",
        uuid: "{00000000-0000-4000-8000-000000000002}",
      },
      push: { changes: [] },
    });
    const headers: Record<string, string> = {
      "content-type": "application/json",
      "user-agent": "Bitbucket-Webhooks/2.0",
      "x-event-key": "repo:push",
      "x-hook-uuid": h.uuid.replace(/^\{|\}$/g, ""),
      "x-request-uuid": randomUUID(),
      "x-attempt-number": "1",
    };
    if (h.secret)
      headers["x-hub-signature"] = `sha256=${createHmac("sha256", h.secret).update(body).digest("hex")}`;
    const outcome = await new Promise<number | string>((resolve) => {
      const r = http.request(h.url, { method: "POST", headers, timeout: 5000 }, (res) => {
        res.resume();
        res.on("end", () => resolve(res.statusCode ?? 0));
      });
      r.on("timeout", () => r.destroy(new Error("timeout")));
      r.on("error", (e) => resolve(String(e.message)));
      r.end(body);
    });
    deliveries.push({ hookUuid: h.uuid, url: h.url, headers, body, outcome });
  };

  const handler = async (req: FakeRequest): Promise<FakeResponse> => {
    const base = `http://${req.headers.host}/2.0`;
    const m =
      /^\/2\.0\/(?:repositories\/([^/]+)\/([^/]+)|workspaces\/([^/]+))\/hooks(?:\/([^/]+))?\/?$/.exec(
        req.path,
      ) ?? undefined;
    if (!m) return error(404, "Resource not found");
    // Unauthenticated calls and wrong credentials: 401, before anything else is revealed.
    const who = authenticate(req);
    if (!who) return error(401, "Unauthorized", { detail: "Invalid or missing credentials." });
    // Counted after authentication: Bitbucket's budget is per user, for the hook calls it served.
    if (budget?.admit(Date.now()) !== undefined) {
      const headers: Record<string, string> = { "content-type": "text/plain; charset=utf-8" };
      if (opts.rateLimit?.retryAfter !== undefined)
        headers["retry-after"] = String(opts.rateLimit.retryAfter);
      return { status: 429, headers, body: "Rate limit for this resource has been exceeded" };
    }
    const workspace = decodeURIComponent(m[1] ?? m[3] ?? "");
    const repository = m[2] !== undefined ? decodeURIComponent(m[2]) : undefined;
    const uid = m[4] !== undefined ? decodeURIComponent(m[4]) : undefined;
    const repos = workspaces[workspace];
    if (!repos) return error(404, `No workspace with identifier '${workspace}'.`);
    if (repository !== undefined && !repos.includes(repository)) {
      return error(404, `Repository ${workspace}/${repository} not found`);
    }
    if (who === "noscope") {
      return error(403, "Your credentials lack one or more required privilege scopes.", {
        detail: { granted: ["repository"], required: ["webhook"] },
      });
    }
    const inScope = (h: StoredHook) => h.workspace === workspace && h.repository === repository;

    if (uid === undefined) {
      if (req.method === "GET") {
        const all = [...hooks.values()].filter(inScope);
        const pagelen = Math.max(1, Math.min(100, Number(req.query.get("pagelen")) || defaultPagelen));
        const page = Math.max(1, Number(req.query.get("page")) || 1);
        const values = all.slice((page - 1) * pagelen, page * pagelen).map((h) => view(h, base));
        const body: Record<string, unknown> = { pagelen, size: all.length, page, values };
        if (page * pagelen < all.length) {
          const next = new URL(`${base}${req.path.replace(/^\/2\.0/, "")}`);
          next.searchParams.set("page", String(page + 1));
          next.searchParams.set("pagelen", String(pagelen));
          body.next = next.href;
        }
        return json(200, body);
      }
      if (req.method === "POST") {
        const parsed = parseBody(req, true);
        if ("status" in parsed) return parsed;
        const h: StoredHook = {
          uuid: braced(randomUUID()),
          workspace,
          ...(repository !== undefined ? { repository } : {}),
          url: parsed.url as string,
          description: parsed.description ?? "",
          active: parsed.active ?? true,
          events: parsed.events as string[],
          secret: parsed.secret ?? null,
          created_at: new Date().toISOString(),
        };
        hooks.set(h.uuid, h);
        if (opts.deliverTestEvents) await deliver(h);
        return json(201, view(h, base), {
          location: `${base}${req.path.replace(/^\/2\.0/, "")}/${encodeURIComponent(h.uuid)}`,
        });
      }
      return error(405, "Method not allowed");
    }

    const h = hooks.get(braced(uid));
    if (!h || !inScope(h))
      return error(404, "Resource not found", { detail: `There is no hook with UUID ${uid}` });
    if (req.method === "GET") return json(200, view(h, base));
    if (req.method === "DELETE") {
      hooks.delete(h.uuid);
      return { status: 204 };
    }
    if (req.method === "PUT") {
      const parsed = parseBody(req, false);
      if ("status" in parsed) return parsed;
      if (parsed.url !== undefined) h.url = parsed.url;
      if (parsed.description !== undefined) h.description = parsed.description;
      if (parsed.active !== undefined) h.active = parsed.active;
      if (parsed.events !== undefined) h.events = parsed.events;
      if (parsed.secret !== undefined) h.secret = parsed.secret;
      return json(200, view(h, base));
    }
    return error(405, "Method not allowed");
  };

  const server = await startFakeServer(handler, opts.network);
  return {
    server,
    apiUrl: `${server.url}/2.0`,
    hooks: (scope) =>
      [...hooks.values()].filter(
        (h) =>
          scope === undefined || scope === (h.repository ? `${h.workspace}/${h.repository}` : h.workspace),
      ),
    hook: (uuid) => hooks.get(braced(uuid)),
    setHook: (uuid, patch) => {
      const h = hooks.get(braced(uuid));
      if (!h) throw new Error(`no hook ${uuid}`);
      Object.assign(h, patch);
    },
    addHook: (partial) => {
      const h: StoredHook = {
        active: true,
        secret: null,
        created_at: new Date().toISOString(),
        ...partial,
        uuid: braced(partial.uuid ?? randomUUID()),
      };
      hooks.set(h.uuid, h);
      return h;
    },
    removeHook: (uuid) => {
      hooks.delete(braced(uuid));
    },
    deliveries,
    writes,
    close: () => server.close(),
  };
}
