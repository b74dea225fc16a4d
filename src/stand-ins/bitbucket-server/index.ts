// Stand-in for the Bitbucket Server plugin's webhook API; follows reference/sourcegraph-api.md section 4.
// A Bitbucket Server / Data Center with the Sourcegraph plugin's webhook REST API, as its Java
// source answers (github.com/sourcegraph/bitbucket-server-plugin at commit 23fa2a7:
// WebhookRouter.java, WebhookRegistry.java, Dispatcher.java): system administrators only (401 with
// an empty body for anyone else), a GET that lists every hook with its secret, a POST that upserts
// by name and answers 204 with no body, and a DELETE that takes a form body and answers 204 even
// when nothing matched.
import { createHmac } from "node:crypto";
import {
  type FakeRequest,
  type FakeResponse,
  type FakeServer,
  json,
  type NetworkOptions,
  startFakeServer,
  text,
} from "../server";

export const PLUGIN_PATH = "/rest/sourcegraph-admin/1.0/webhook";

export interface FakeUser {
  readonly password?: string;
  /** Only system administrators (SYS_ADMIN) may manage plugin webhooks. */
  readonly sysAdmin: boolean;
}

export interface FakeRepository {
  readonly id: number;
  readonly slug: string;
  readonly name: string;
}

export interface FakeProject {
  readonly id: number;
  readonly key: string;
  name: string;
  readonly repositories: FakeRepository[];
}

export interface BitbucketServerFakeOptions {
  /** Users by name, for HTTP Basic. Default: `admin` / `admin-password` (system admin) and `alice` / `alice-password` (not). */
  readonly users?: Record<string, FakeUser>;
  /** HTTP access tokens (`Authorization: Bearer`) and whose they are. Default: `bbs-admin-token` -> admin, `bbs-user-token` -> alice. */
  readonly tokens?: Record<string, string>;
  /** Default: project `PROJ` named "Project One" (id 1) with repositories `repo-one` ("Repo One", id 11), `repo-two` ("Repo Two", id 12). */
  readonly projects?: FakeProject[];
  /** False answers 404 on the plugin's path, as a Bitbucket without the plugin does. Default true. */
  readonly pluginInstalled?: boolean;
  /** Send a `ping` delivery to the endpoint on every POST, as the plugin does. Default false. */
  readonly deliverTestEvents?: boolean;
  /** Context path of the instance, e.g. "/bitbucket". Default "". */
  readonly contextPath?: string;
  readonly port?: number;
  /** Latency and rate limit of the shared plumbing (../server.ts). */
  readonly network?: NetworkOptions;
}

/** A hook as the plugin stores it: scope is `global`, `project:<id>` or `repository:<id>`. */
export interface StoredWebhook {
  id: number;
  name: string;
  scope: string;
  events: Set<string>;
  endpoint: string;
  secret: string | null;
  lastError?: string;
  lastEvent?: string;
}

/** One element of the GET answer. */
export interface ListedWebhook {
  id: number;
  name: string;
  scope: string;
  events: string[];
  endpoint: string;
  secret?: string;
  lastError?: string;
  lastEvent?: string;
}

export interface Delivery {
  readonly hookId: number;
  readonly endpoint: string;
  readonly headers: Record<string, string>;
  readonly body: string;
  /** The endpoint's status, or the error when it could not be reached. */
  readonly status?: number;
  readonly error?: string;
}

export interface BitbucketServerFake {
  /** The instance URL (with the context path), what `bitbucketServer.url` takes. */
  readonly url: string;
  /** The shared plumbing: request log and fault injection. */
  readonly server: FakeServer;
  /** What GET answers now (secrets included). */
  webhooks(): ListedWebhook[];
  webhook(name: string): ListedWebhook | undefined;
  /** Changes a hook behind the provider's back (drift), as an admin would in the plugin's UI. */
  edit(
    name: string,
    patch: Partial<Omit<ListedWebhook, "id" | "events" | "secret">> & {
      events?: string[];
      secret?: string | null;
    },
  ): void;
  /** Removes a hook behind the provider's back. */
  remove(name: string): void;
  setPluginInstalled(installed: boolean): void;
  readonly projects: FakeProject[];
  /** Ping deliveries made so far; await `settled()` first. */
  readonly deliveries: Delivery[];
  /** Waits for every delivery in flight. */
  settled(): Promise<void>;
  close(): Promise<void>;
}

const DEFAULT_USERS: Record<string, FakeUser> = {
  admin: { password: "admin-password", sysAdmin: true },
  alice: { password: "alice-password", sysAdmin: false },
};
const DEFAULT_TOKENS: Record<string, string> = { "bbs-admin-token": "admin", "bbs-user-token": "alice" };

function defaultProjects(): FakeProject[] {
  return [
    {
      id: 1,
      key: "PROJ",
      name: "Project One",
      repositories: [
        { id: 11, slug: "repo-one", name: "Repo One" },
        { id: 12, slug: "repo-two", name: "Repo Two" },
      ],
    },
  ];
}

/** What the plugin's JAX-RS resource throws, as (status, plain-text body). */
class PluginError extends Error {
  constructor(
    readonly status: number,
    readonly body: string,
  ) {
    super(body);
  }
}

export async function startBitbucketServerFake(
  opts: BitbucketServerFakeOptions = {},
): Promise<BitbucketServerFake> {
  const users = opts.users ?? DEFAULT_USERS;
  const tokens = opts.tokens ?? DEFAULT_TOKENS;
  const projects = opts.projects ?? defaultProjects();
  const contextPath = (opts.contextPath ?? "").replace(/\/+$/, "");
  const pluginPath = `${contextPath}${PLUGIN_PATH}`;
  let installed = opts.pluginInstalled ?? true;
  const hooks: StoredWebhook[] = [];
  let nextId = 1;
  const deliveries: Delivery[] = [];
  const inFlight = new Set<Promise<void>>();

  const projectById = (id: number) => projects.find((p) => p.id === id);
  const repoById = (id: number) => {
    for (const p of projects) {
      const r = p.repositories.find((x) => x.id === id);
      if (r) return { project: p, repo: r };
    }
    return undefined;
  };

  // GET re-resolves the stored id to names (project NAME / repository NAME), "" when it is gone.
  const listedScope = (stored: string): string => {
    if (stored === "global") return "global";
    const [kind, id] = stored.split(":");
    if (kind === "project") {
      const p = projectById(Number(id));
      return p ? `project:${p.name}` : "";
    }
    const hit = repoById(Number(id));
    return hit ? `repository:${hit.project.name}/${hit.repo.name}` : "";
  };

  const listed = (h: StoredWebhook): ListedWebhook => {
    // Plain Gson: null fields are omitted, the secret is serialized.
    const out: ListedWebhook = {
      id: h.id,
      name: h.name,
      scope: listedScope(h.scope),
      events: [...h.events],
      endpoint: h.endpoint,
    };
    if (h.secret !== null) out.secret = h.secret;
    if (h.lastError !== undefined) out.lastError = h.lastError;
    if (h.lastEvent !== undefined) out.lastEvent = h.lastEvent;
    return out;
  };

  const authenticate = (req: FakeRequest): FakeUser | undefined => {
    const header = req.headers.authorization;
    if (typeof header !== "string") return undefined;
    const [scheme, value = ""] = header.split(" ", 2);
    if (scheme?.toLowerCase() === "bearer") {
      const owner = tokens[value];
      return owner === undefined ? undefined : users[owner];
    }
    if (scheme?.toLowerCase() === "basic") {
      const decoded = Buffer.from(value, "base64").toString("utf8");
      const colon = decoded.indexOf(":");
      if (colon < 0) return undefined;
      const user = users[decoded.slice(0, colon)];
      return user?.password !== undefined && user.password === decoded.slice(colon + 1) ? user : undefined;
    }
    return undefined;
  };

  // WebhookRegistry.resolveScope: `project:` by project NAME, `repository:` by KEY/slug.
  const resolveScope = (scope: string | null | undefined): string => {
    if (scope === undefined || scope === null || scope === "") throw new PluginError(422, "Missing scope");
    if (scope === "global") return "global";
    const parts = scope.split(":");
    const kind = parts[0];
    const target = parts[1] ?? "";
    if (kind === "project") {
      const p = projects.find((x) => x.name === target);
      if (!p) throw new PluginError(404, `No such project: ${target}`);
      return `project:${p.id}`;
    }
    if (kind === "repository") {
      const pair = target.split("/");
      // `repository:<x>` without a "/" is an ArrayIndexOutOfBoundsException in the plugin.
      if (pair.length < 2) throw new PluginError(500, "java.lang.ArrayIndexOutOfBoundsException: 1");
      const [key, slug] = pair as [string, string];
      const p = projects.find((x) => x.key === key);
      const r = p?.repositories.find((x) => x.slug === slug);
      if (!r) throw new PluginError(404, `No such repository: ${key}/${slug}`);
      return `repository:${r.id}`;
    }
    throw new PluginError(422, `Invalid scope: ${scope}`);
  };

  const ping = (hook: StoredWebhook): void => {
    const body = "{}";
    const headers: Record<string, string> = {
      "content-type": "text/plain; charset=UTF-8",
      "x-event-key": "ping",
      "x-hook-id": String(hook.id),
      "x-hook-name": hook.name,
      "x-attempt-number": "1",
    };
    // A null secret makes the plugin's HMAC signing throw: nothing is sent.
    if (hook.secret === null || hook.secret === "") {
      hook.lastError = "Failed to dispatch webhook: signing failed (no secret)";
      return;
    }
    headers["x-hub-signature"] =
      `sha256=${createHmac("sha256", Buffer.from(hook.secret, "utf8")).update(body, "utf8").digest("hex")}`;
    const endpoint = hook.endpoint;
    const task = (async () => {
      try {
        const res = await fetch(endpoint, {
          method: "POST",
          headers,
          body,
          signal: AbortSignal.timeout(5_000),
        });
        await res.arrayBuffer();
        deliveries.push({ hookId: hook.id, endpoint, headers, body, status: res.status });
        if (res.status >= 200 && res.status < 300) {
          hook.lastError = undefined;
          hook.lastEvent = new Date().toUTCString();
        } else {
          hook.lastError = `Failed to dispatch webhook: ${res.status} ${res.statusText}`.slice(0, 255);
        }
      } catch (err) {
        const error = String((err as Error)?.message ?? err);
        deliveries.push({ hookId: hook.id, endpoint, headers, body, error });
        hook.lastError = `Failed to dispatch webhook: ${error}`.slice(0, 255);
      }
    })();
    inFlight.add(task);
    void task.finally(() => inFlight.delete(task));
  };

  const upsert = (req: FakeRequest): FakeResponse => {
    if (!String(req.headers["content-type"] ?? "").startsWith("application/json")) {
      return text(415, "Unsupported Media Type");
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(req.body.toString("utf8"));
    } catch {
      return text(400, "Invalid JSON");
    }
    if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed))
      return text(400, "Invalid JSON");
    const w = parsed as Record<string, unknown>;
    const str = (v: unknown): string | null => (v === undefined || v === null ? null : String(v));
    const name = str(w.name);
    // A missing name is a NullPointerException in the plugin; only "" gets the 422.
    if (name === null) throw new PluginError(500, "java.lang.NullPointerException");
    if (name === "") throw new PluginError(422, "Name is required.");
    const scope = resolveScope(str(w.scope));
    if (!Array.isArray(w.events)) throw new PluginError(500, "java.lang.NullPointerException");
    const events = new Set(w.events.map((e) => String(e).trim()));
    const endpoint = str(w.endpoint) ?? "";
    const secret = str(w.secret);
    let hook = hooks.find((h) => h.name === name);
    if (hook) {
      hook.scope = scope;
      hook.endpoint = endpoint;
      hook.secret = secret;
      hook.events = events;
    } else {
      hook = { id: nextId++, name, scope, events, endpoint, secret };
      hooks.push(hook);
    }
    if (opts.deliverTestEvents) ping(hook);
    return { status: 204 };
  };

  const remove = (req: FakeRequest): FakeResponse => {
    if (!String(req.headers["content-type"] ?? "").startsWith("application/x-www-form-urlencoded")) {
      return text(415, "Unsupported Media Type");
    }
    const form = new URLSearchParams(req.body.toString("utf8"));
    const name = form.get("name");
    if (name !== null) {
      const i = hooks.findIndex((h) => h.name === name);
      if (i >= 0) hooks.splice(i, 1);
      return { status: 204 };
    }
    // `@FormParam("id") int id`: absent is 0 (matches nothing); not a number is a 400 from JAX-RS.
    const rawId = form.get("id") ?? "0";
    if (!/^-?\d+$/.test(rawId)) return text(400, "Bad Request");
    const i = hooks.findIndex((h) => h.id === Number(rawId));
    if (i >= 0) hooks.splice(i, 1);
    return { status: 204 };
  };

  const server = await startFakeServer(
    (req) => {
      if (req.path !== pluginPath || !installed) {
        return json(404, { errors: [{ message: `Could not find REST resource ${req.path}` }] });
      }
      const user = authenticate(req);
      // WebhookException(UNAUTHORIZED) with a null message: 401 and an empty body.
      if (!user?.sysAdmin) return { status: 401 };
      try {
        switch (req.method) {
          case "GET":
            return json(200, [...hooks].sort((a, b) => a.id - b.id).map(listed));
          case "POST":
            return upsert(req);
          case "DELETE":
            return remove(req);
          default:
            return text(405, "Method Not Allowed");
        }
      } catch (err) {
        if (err instanceof PluginError) return text(err.status, err.body);
        throw err;
      }
    },
    { ...opts.network, port: opts.port },
  );

  const find = (name: string): StoredWebhook => {
    const h = hooks.find((x) => x.name === name);
    if (!h) throw new Error(`fake: no webhook named ${name}`);
    return h;
  };

  return {
    url: `${server.url}${contextPath}`,
    server,
    projects,
    deliveries,
    webhooks: () => [...hooks].sort((a, b) => a.id - b.id).map(listed),
    webhook: (name) => {
      const h = hooks.find((x) => x.name === name);
      return h ? listed(h) : undefined;
    },
    edit: (name, patch) => {
      const h = find(name);
      if (patch.name !== undefined) h.name = patch.name;
      if (patch.scope !== undefined) h.scope = resolveScope(patch.scope);
      if (patch.endpoint !== undefined) h.endpoint = patch.endpoint;
      if (patch.secret !== undefined) h.secret = patch.secret;
      if (patch.events !== undefined) h.events = new Set(patch.events);
    },
    remove: (name) => {
      const i = hooks.findIndex((h) => h.name === name);
      if (i >= 0) hooks.splice(i, 1);
    },
    setPluginInstalled: (v) => {
      installed = v;
    },
    settled: async () => {
      while (inFlight.size > 0) await Promise.all([...inFlight]);
    },
    close: async () => {
      await Promise.all([...inFlight]);
      await server.close();
    },
  };
}
