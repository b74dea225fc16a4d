// Stand-in for GitLab's project and group webhook REST API; follows reference/codehost-apis.md section 2.
// A local GitLab REST API for project and group webhooks, faithful to what the provider relies on:
// PRIVATE-TOKEN auth with GitLab's JSON error shapes, projects and groups by numeric ID or
// URL-encoded full path, write-only hook tokens that a URL change resets, `push_events` on by
// default, offset pagination (`x-next-page` and `Link`), and group hooks that a tier may lack.
// Sources: gitlabhq doc/api/project_webhooks.md and group_webhooks.md, lib/api/helpers.rb for the
// error bodies.
import { randomUUID } from "node:crypto";
import { GITLAB_EVENTS, GITLAB_GROUP_ONLY_EVENTS } from "../../../providers/events";
import {
  type FakeRequest,
  type FakeResponse,
  type FakeServer,
  json,
  type NetworkOptions,
  startFakeServer,
} from "../server";

export type GitLabRole = "owner" | "maintainer" | "developer";
export type HookScope = "project" | "group";

const GROUP_ONLY = new Set(GITLAB_GROUP_ONLY_EVENTS);

/** Event fields a project hook stores. */
export const PROJECT_HOOK_EVENTS: readonly string[] = GITLAB_EVENTS.filter((e) => !GROUP_ONLY.has(e));

/** Group hooks add the events of a group's members, projects and subgroups. */
export const GROUP_HOOK_EVENTS: readonly string[] = GITLAB_EVENTS;

export interface FakeHook {
  id: number;
  scope: HookScope;
  /** The project or group ID. */
  ownerId: number;
  url: string;
  /** Write-only on the API: never returned, kept here for tests and deliveries. */
  token: string;
  enableSslVerification: boolean;
  pushEventsBranchFilter: string;
  events: Record<string, boolean>;
  createdAt: string;
}

export interface FakeDelivery {
  hookId: number;
  url: string;
  headers: Record<string, string>;
  body: string;
  /** The receiver's status, or undefined when it could not be reached. */
  status?: number;
  error?: string;
}

export interface GitLabFakeOptions {
  /** Personal access tokens and the role each grants everywhere. Default `{ "glpat-fake-owner": "owner" }`. */
  tokens?: Record<string, GitLabRole>;
  /** Project full paths (`group/sub/project`); IDs are assigned from 1; parent groups are created. */
  projects?: string[];
  /** Group full paths; IDs are assigned after the projects' parents. */
  groups?: string[];
  /** False reproduces a tier without group webhooks (GitLab Free): the routes answer 404. Default true. */
  groupHooks?: boolean;
  /** POST a push-event test delivery to a hook's URL whenever it is created or edited. */
  deliverTestEvents?: boolean;
  /** Default 20, as on GitLab. */
  defaultPerPage?: number;
  /** Latency and rate limit of the shared plumbing (../server.ts). */
  network?: NetworkOptions;
}

export interface GitLabFake extends FakeServer {
  /** The fake's instance URL (give this as `gitlab.url`; the API is under `/api/v4`). */
  readonly url: string;
  projectId(path: string): number | undefined;
  groupId(path: string): number | undefined;
  addProject(path: string): number;
  addGroup(path: string): number;
  /** Hooks of a project or group (by ID or path), copies in ID order. */
  hooks(scope: HookScope, idOrPath: string | number): FakeHook[];
  hook(id: number): FakeHook | undefined;
  /** Creates a hook as a user would in the UI (for adoption tests). */
  addHook(
    scope: HookScope,
    idOrPath: string | number,
    init: { url: string; token?: string; events?: string[]; enableSslVerification?: boolean },
  ): FakeHook;
  /** Changes a hook outside the API (drift). `events` replaces the whole set. */
  setHook(
    id: number,
    patch: { url?: string; token?: string; events?: string[]; enableSslVerification?: boolean },
  ): void;
  deleteHook(id: number): void;
  setToken(token: string, role: GitLabRole | undefined): void;
  setGroupHooksAvailable(available: boolean): void;
  readonly deliveries: FakeDelivery[];
  /** Waits for test deliveries in flight. */
  deliveriesSettled(): Promise<void>;
}

interface Namespace {
  id: number;
  path: string;
}

const notFound = (what: string): FakeResponse => json(404, { message: `404 ${what} Not Found` });
const routeNotFound = (): FakeResponse => json(404, { error: "404 Not Found" });

function parseBody(req: FakeRequest): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of req.query) out[k] = v;
  const type = String(req.headers["content-type"] ?? "");
  const raw = req.body.toString("utf8");
  if (raw === "") return out;
  if (type.includes("application/json")) {
    const parsed: unknown = JSON.parse(raw);
    if (parsed && typeof parsed === "object" && !Array.isArray(parsed)) Object.assign(out, parsed);
  } else if (type.includes("application/x-www-form-urlencoded")) {
    for (const [k, v] of new URLSearchParams(raw)) out[k] = v;
  }
  return out;
}

/** Grape's Boolean coercion: JSON booleans and the strings "true"/"false". */
function toBool(v: unknown): boolean | undefined {
  if (typeof v === "boolean") return v;
  if (v === "true" || v === "1") return true;
  if (v === "false" || v === "0") return false;
  return undefined;
}

function validUrl(u: string): boolean {
  try {
    const parsed = new URL(u);
    return (parsed.protocol === "http:" || parsed.protocol === "https:") && parsed.hostname !== "";
  } catch {
    return false;
  }
}

export async function startGitLabFake(opts: GitLabFakeOptions = {}): Promise<GitLabFake> {
  const tokens = new Map<string, GitLabRole>(Object.entries(opts.tokens ?? { "glpat-fake-owner": "owner" }));
  const projects: Namespace[] = [];
  const groups: Namespace[] = [];
  const hooks = new Map<number, FakeHook>();
  const deliveries: FakeDelivery[] = [];
  const pending = new Set<Promise<void>>();
  let nextProjectId = 1;
  let nextGroupId = 100;
  let nextHookId = 1;
  let groupHooksAvailable = opts.groupHooks ?? true;
  const defaultPerPage = opts.defaultPerPage ?? 20;
  let baseUrl = "";

  const addGroup = (path: string): number => {
    const existing = groups.find((g) => g.path === path);
    if (existing) return existing.id;
    const parent = path.includes("/") ? path.slice(0, path.lastIndexOf("/")) : undefined;
    if (parent) addGroup(parent);
    const id = nextGroupId++;
    groups.push({ id, path });
    return id;
  };
  const addProject = (path: string): number => {
    const existing = projects.find((p) => p.path === path);
    if (existing) return existing.id;
    if (path.includes("/")) addGroup(path.slice(0, path.lastIndexOf("/")));
    const id = nextProjectId++;
    projects.push({ id, path });
    return id;
  };
  for (const p of opts.projects ?? []) addProject(p);
  for (const g of opts.groups ?? []) addGroup(g);

  const find = (list: Namespace[], idOrPath: string | number): Namespace | undefined => {
    const key = String(idOrPath);
    return /^\d+$/.test(key) ? list.find((n) => n.id === Number(key)) : list.find((n) => n.path === key);
  };
  const ownerOf = (scope: HookScope, idOrPath: string | number): Namespace | undefined =>
    find(scope === "project" ? projects : groups, idOrPath);

  const eventsFor = (scope: HookScope) => (scope === "project" ? PROJECT_HOOK_EVENTS : GROUP_HOOK_EVENTS);

  const newHook = (scope: HookScope, ownerId: number, url: string): FakeHook => {
    const events: Record<string, boolean> = {};
    // GitLab's web_hooks.push_events column defaults to true; every other event to false.
    for (const e of eventsFor(scope)) events[e] = e === "push_events";
    return {
      id: nextHookId++,
      scope,
      ownerId,
      url,
      token: "",
      enableSslVerification: true,
      pushEventsBranchFilter: "",
      events,
      createdAt: new Date().toISOString(),
    };
  };

  const render = (h: FakeHook): Record<string, unknown> => ({
    id: h.id,
    url: h.url,
    name: "",
    description: "",
    [h.scope === "project" ? "project_id" : "group_id"]: h.ownerId,
    created_at: h.createdAt,
    ...h.events,
    push_events_branch_filter: h.pushEventsBranchFilter,
    branch_filter_strategy: "wildcard",
    enable_ssl_verification: h.enableSslVerification,
    repository_update_events: false,
    alert_status: "executable",
    disabled_until: null,
    url_variables: [],
    custom_webhook_template: "",
    custom_headers: [],
  });

  const deliver = (h: FakeHook): void => {
    if (!opts.deliverTestEvents) return;
    const body = JSON.stringify(samplePush(h));
    const headers: Record<string, string> = {
      "Content-Type": "application/json",
      "User-Agent": "GitLab/18.3.0",
      "Idempotency-Key": randomUUID(),
      "X-Gitlab-Event": "Push Hook",
      "X-Gitlab-Webhook-UUID": randomUUID(),
      "X-Gitlab-Instance": baseUrl,
      "X-Gitlab-Event-UUID": randomUUID(),
    };
    if (h.token) headers["X-Gitlab-Token"] = h.token.replace(/[\r\n]/g, "");
    const record: FakeDelivery = { hookId: h.id, url: h.url, headers, body };
    deliveries.push(record);
    const p = fetch(h.url, { method: "POST", headers, body, signal: AbortSignal.timeout(5_000) })
      .then(async (res) => {
        record.status = res.status;
        await res.arrayBuffer();
      })
      .catch((err: unknown) => {
        record.error = String((err as Error)?.message ?? err);
      })
      .finally(() => pending.delete(p));
    pending.add(p);
  };

  /** Applies POST/PUT attributes; returns an error answer or undefined. */
  const apply = (h: FakeHook, body: Record<string, unknown>, isCreate: boolean): FakeResponse | undefined => {
    const url = body.url;
    if (url === undefined || url === null || url === "") return json(400, { error: "url is missing" });
    if (typeof url !== "string" || !validUrl(url)) {
      return json(400, { message: { url: ["is blocked: Only allowed schemes are http, https"] } });
    }
    const bools: Record<string, boolean> = {};
    for (const field of [...eventsFor(h.scope), "enable_ssl_verification"]) {
      if (body[field] === undefined) continue;
      const b = toBool(body[field]);
      if (b === undefined) return json(400, { error: `${field} is invalid` });
      bools[field] = b;
    }
    if (body.token !== undefined && typeof body.token !== "string")
      return json(400, { error: "token is invalid" });
    const urlChanged = !isCreate && url !== h.url;
    h.url = url;
    for (const [k, v] of Object.entries(bools)) {
      if (k === "enable_ssl_verification") h.enableSslVerification = v;
      else h.events[k] = v;
    }
    if (typeof body.push_events_branch_filter === "string")
      h.pushEventsBranchFilter = body.push_events_branch_filter;
    // "When you change the webhook URL, the secret token is reset and not retained."
    if (typeof body.token === "string") h.token = body.token;
    else if (urlChanged) h.token = "";
    return undefined;
  };

  const list = (req: FakeRequest, all: FakeHook[]): FakeResponse => {
    const perPage = Math.min(
      100,
      Math.max(1, Number(req.query.get("per_page") ?? defaultPerPage) || defaultPerPage),
    );
    const page = Math.max(1, Number(req.query.get("page") ?? 1) || 1);
    const totalPages = Math.max(1, Math.ceil(all.length / perPage));
    const slice = all.slice((page - 1) * perPage, page * perPage);
    const link = (p: number) => {
      const q = new URLSearchParams(req.query);
      q.set("page", String(p));
      q.set("per_page", String(perPage));
      return `${baseUrl}${req.path}?${q.toString()}`;
    };
    const links = [`<${link(1)}>; rel="first"`, `<${link(totalPages)}>; rel="last"`];
    if (page < totalPages) links.unshift(`<${link(page + 1)}>; rel="next"`);
    if (page > 1) links.unshift(`<${link(page - 1)}>; rel="prev"`);
    return json(200, slice.map(render), {
      "x-page": String(page),
      "x-per-page": String(perPage),
      "x-total": String(all.length),
      "x-total-pages": String(totalPages),
      "x-next-page": page < totalPages ? String(page + 1) : "",
      "x-prev-page": page > 1 ? String(page - 1) : "",
      link: links.join(", "),
    });
  };

  const handler = (req: FakeRequest): FakeResponse => {
    if (!req.path.startsWith("/api/v4/")) return routeNotFound();
    const parts = req.path
      .slice("/api/v4/".length)
      .split("/")
      .map((s) => decodeURIComponent(s));
    const [kind, ownerKey, sub, hookKey, ...rest] = parts;
    if ((kind !== "projects" && kind !== "groups") || !ownerKey || rest.length > 0) return routeNotFound();
    if (sub !== undefined && sub !== "hooks") return routeNotFound();
    const scope: HookScope = kind === "projects" ? "project" : "group";
    // On a tier without group webhooks the routes do not exist (GitLab answers before auth).
    if (scope === "group" && sub === "hooks" && !groupHooksAvailable) return routeNotFound();

    const token = req.headers["private-token"];
    const role = typeof token === "string" ? tokens.get(token) : undefined;
    if (!role) return json(401, { message: "401 Unauthorized" });

    const owner = ownerOf(scope, ownerKey);
    if (!owner) return notFound(scope === "project" ? "Project" : "Group");
    if (sub === undefined) {
      if (req.method !== "GET") return routeNotFound();
      return scope === "project"
        ? json(200, { id: owner.id, path_with_namespace: owner.path, name: owner.path.split("/").pop() })
        : json(200, { id: owner.id, full_path: owner.path, name: owner.path.split("/").pop() });
    }
    // Project hooks need Maintainer; group hooks need Owner (GitLab's admin_group ability).
    const allowed = scope === "project" ? role !== "developer" : role === "owner";
    if (!allowed) return json(403, { message: "403 Forbidden" });

    const owned = () => [...hooks.values()].filter((h) => h.scope === scope && h.ownerId === owner.id);
    if (hookKey === undefined) {
      if (req.method === "GET") return list(req, owned());
      if (req.method === "POST") {
        const h = newHook(scope, owner.id, "");
        const err = apply(h, parseBody(req), true);
        if (err) {
          nextHookId--;
          return err;
        }
        hooks.set(h.id, h);
        deliver(h);
        return json(201, render(h));
      }
      return routeNotFound();
    }
    const h = /^\d+$/.test(hookKey) ? hooks.get(Number(hookKey)) : undefined;
    if (!h || h.scope !== scope || h.ownerId !== owner.id) return json(404, { message: "404 Not found" });
    if (req.method === "GET") return json(200, render(h));
    if (req.method === "PUT") {
      const draft: FakeHook = { ...h, events: { ...h.events } };
      const err = apply(draft, parseBody(req), false);
      if (err) return err;
      hooks.set(h.id, draft);
      deliver(draft);
      return json(200, render(draft));
    }
    if (req.method === "DELETE") {
      hooks.delete(h.id);
      return { status: 204 };
    }
    return routeNotFound();
  };

  const server = await startFakeServer(handler, opts.network);
  baseUrl = server.url;

  const mustOwner = (scope: HookScope, idOrPath: string | number): Namespace => {
    const owner = ownerOf(scope, idOrPath);
    if (!owner) throw new Error(`fake GitLab has no ${scope} ${idOrPath}`);
    return owner;
  };
  const setEvents = (h: FakeHook, names: readonly string[]) => {
    for (const e of eventsFor(h.scope)) h.events[e] = names.includes(e);
  };

  return {
    ...server,
    url: server.url,
    projectId: (path) => find(projects, path)?.id,
    groupId: (path) => find(groups, path)?.id,
    addProject,
    addGroup,
    hooks: (scope, idOrPath) => {
      const owner = mustOwner(scope, idOrPath);
      return [...hooks.values()]
        .filter((h) => h.scope === scope && h.ownerId === owner.id)
        .map((h) => ({ ...h, events: { ...h.events } }));
    },
    hook: (id) => {
      const h = hooks.get(id);
      return h && { ...h, events: { ...h.events } };
    },
    addHook: (scope, idOrPath, init) => {
      const h = newHook(scope, mustOwner(scope, idOrPath).id, init.url);
      h.token = init.token ?? "";
      if (init.events) setEvents(h, init.events);
      if (init.enableSslVerification !== undefined) h.enableSslVerification = init.enableSslVerification;
      hooks.set(h.id, h);
      return { ...h, events: { ...h.events } };
    },
    setHook: (id, patch) => {
      const h = hooks.get(id);
      if (!h) throw new Error(`fake GitLab has no hook ${id}`);
      if (patch.url !== undefined) h.url = patch.url;
      if (patch.token !== undefined) h.token = patch.token;
      if (patch.events) setEvents(h, patch.events);
      if (patch.enableSslVerification !== undefined) h.enableSslVerification = patch.enableSslVerification;
    },
    deleteHook: (id) => {
      hooks.delete(id);
    },
    setToken: (token, role) => {
      if (role) tokens.set(token, role);
      else tokens.delete(token);
    },
    setGroupHooksAvailable: (available) => {
      groupHooksAvailable = available;
    },
    deliveries,
    deliveriesSettled: async () => {
      while (pending.size > 0) await Promise.all([...pending]);
    },
  };
}

/** A push event shaped like GitLab's documented example (webhook_events.md, "Push events"). */
function samplePush(h: FakeHook): Record<string, unknown> {
  return {
    object_kind: "push",
    event_name: "push",
    before: "95790bf891e76fee5e1747ab589903a6a1f80f22",
    after: "da1560886d4f094c3e6c9ef40349f7d38b5d27d7",
    ref: "refs/heads/master",
    ref_protected: true,
    checkout_sha: "da1560886d4f094c3e6c9ef40349f7d38b5d27d7",
    user_id: 4,
    user_name: "John Smith",
    user_username: "jsmith",
    user_email: "john@example.com",
    project_id: h.scope === "project" ? h.ownerId : 15,
    project: {
      id: h.scope === "project" ? h.ownerId : 15,
      name: "Diaspora",
      web_url: "http://example.com/mike/diaspora",
      path_with_namespace: "mike/diaspora",
      default_branch: "master",
    },
    commits: [
      {
        id: "da1560886d4f094c3e6c9ef40349f7d38b5d27d7",
        message: "fixed readme",
        title: "fixed readme",
        timestamp: "2012-01-03T23:36:29+02:00",
        url: "http://example.com/mike/diaspora/commit/da1560886d4f094c3e6c9ef40349f7d38b5d27d7",
        author: { name: "GitLab dev user", email: "gitlabdev@dv6700.(none)" },
        added: ["CHANGELOG"],
        modified: ["app/controller/application.rb"],
        removed: [],
      },
    ],
    total_commits_count: 1,
    repository: {
      name: "Diaspora",
      url: "git@example.com:mike/diaspora.git",
      homepage: "http://example.com/mike/diaspora",
    },
  };
}
