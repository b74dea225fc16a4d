// Stand-in for GitLab's project and group webhook REST API; follows reference/codehost-apis.md section 2.
// A local GitLab REST API for project and group webhooks, faithful to what the provider relies on:
// PRIVATE-TOKEN auth with GitLab's JSON error shapes, projects and groups by numeric ID or
// URL-encoded full path, write-only hook tokens that a URL change resets, `push_events` on by
// default, offset pagination (`x-next-page` and `Link`), and group hooks that a tier may lack.
// Hook tests, hook events and resend (./hook-actions.ts), and hooks that GitLab disables after
// failures (./executions.ts). Sources: gitlabhq doc/api/project_webhooks.md and group_webhooks.md,
// lib/api/helpers.rb for the error bodies.
import { type FakeRequest, type FakeResponse, json, startFakeServer } from "../server";
import {
  alertStatus,
  type ExecutionResult,
  executable,
  execute,
  FAILURE_THRESHOLD,
  type HookLogRecord,
  PERMANENT_THRESHOLD,
} from "./executions";
import { hookActions } from "./hook-actions";
import { type FakeMergeRequest, sampleMergeRequest, samplePush } from "./samples";

export type { HookHealth, HookLogRecord } from "./executions";
export type { FakeMergeRequest } from "./samples";

import { parseBody, toBool, validUrl } from "./body";
import {
  type FakeDelivery,
  type FakeHook,
  type GitLabFake,
  type GitLabFakeOptions,
  type GitLabRole,
  GROUP_HOOK_EVENTS,
  type HookScope,
  PROJECT_HOOK_EVENTS,
} from "./types";

export * from "./types";

interface Namespace {
  id: number;
  path: string;
}

const notFound = (what: string): FakeResponse => json(404, { message: `404 ${what} Not Found` });
const routeNotFound = (): FakeResponse => json(404, { error: "404 Not Found" });

export async function startGitLabFake(opts: GitLabFakeOptions = {}): Promise<GitLabFake> {
  const tokens = new Map<string, GitLabRole>(Object.entries(opts.tokens ?? { "glpat-fake-owner": "owner" }));
  const projects: Namespace[] = [];
  const groups: Namespace[] = [];
  const hooks = new Map<number, FakeHook>();
  const deliveries: FakeDelivery[] = [];
  const logs: HookLogRecord[] = [];
  const mergeRequests: FakeMergeRequest[] = [];
  let nextLogId = 1;
  let version = opts.version ?? "18.3.0";
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
      health: { recentFailures: 0, backoffCount: 0, disabledUntil: null },
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
    ...alertStatus(h.health),
    url_variables: [],
    custom_webhook_template: "",
    custom_headers: [],
  });

  const projectOf = (h: FakeHook): Namespace | undefined =>
    h.scope === "project" ? projects.find((p) => p.id === h.ownerId) : projectsUnder(h.ownerId)[0];
  const projectsUnder = (groupId: number): Namespace[] => {
    const g = groups.find((x) => x.id === groupId);
    return g ? projects.filter((p) => p.path.startsWith(`${g.path}/`)) : [];
  };

  /** Runs the hook now: the delivery, its log entry and the hook's health. */
  const runHook = async (h: FakeHook, eventField: string, data: unknown, idempotencyKey?: string) => {
    const result = await execute(h, eventField, data, {
      instance: baseUrl,
      version,
      nextLogId: () => nextLogId++,
      ...(idempotencyKey ? { idempotencyKey } : {}),
    });
    logs.push(result.log);
    deliveries.push({
      hookId: h.id,
      url: h.url,
      headers: result.headers,
      body: result.body,
      ...(result.status === undefined ? { error: result.message } : { status: result.status }),
    });
    return result;
  };

  /** With deliverTestEvents, a created or edited hook gets a push test. */
  const deliver = (h: FakeHook): void => {
    if (!opts.deliverTestEvents) return;
    const project = projectOf(h) ?? { id: 15, path: "sandbox/placeholder" };
    const p = runHook(h, "push_events", samplePush(project, baseUrl)).then(
      () => undefined,
      () => undefined,
    );
    pending.add(p);
    void p.finally(() => pending.delete(p));
  };

  const testData = (hook: { id: number }, trigger: string): { data: unknown } | { error: string } => {
    const h = hooks.get(hook.id)!;
    const project = projectOf(h);
    if (!project) return { error: "Ensure the group has a project with data." };
    if (trigger === "merge_requests_events") {
      const newest = mergeRequests.filter((m) => m.projectId === project.id).at(-1);
      if (!newest) return { error: "Ensure the project has merge requests." };
      return { data: sampleMergeRequest(project, newest, baseUrl) };
    }
    // The stand-in has push and merge request data; every other trigger sends a push sample.
    return { data: samplePush(project, baseUrl) };
  };
  const actions = hookActions(
    {
      version: () => version,
      testData,
      run: (hook, trigger, data, key) => runHook(hooks.get(hook.id)!, trigger, data, key),
      logs: (hookId) => logs.filter((l) => l.hookId === hookId),
      instance: () => baseUrl,
    },
    opts.hookRateLimit,
  );

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

  const handler = async (req: FakeRequest): Promise<FakeResponse> => {
    if (!req.path.startsWith("/api/v4/")) return routeNotFound();
    const parts = req.path
      .slice("/api/v4/".length)
      .split("/")
      .map((s) => decodeURIComponent(s));
    if (parts.length === 1 && parts[0] === "version" && req.method === "GET") {
      const who = req.headers["private-token"];
      if (typeof who !== "string" || !tokens.has(who)) return json(401, { message: "401 Unauthorized" });
      return json(200, { version, revision: "stand-in" });
    }
    const [kind, ownerKey, sub, hookKey, ...rest] = parts;
    if ((kind !== "projects" && kind !== "groups") || !ownerKey) return routeNotFound();
    const isMergeRequests = kind === "projects" && sub === "merge_requests" && hookKey === undefined;
    if (sub !== undefined && sub !== "hooks" && !isMergeRequests) return routeNotFound();
    const scope: HookScope = kind === "projects" ? "project" : "group";
    // On a tier without group webhooks the routes do not exist (GitLab answers before auth).
    if (scope === "group" && sub === "hooks" && !groupHooksAvailable) return routeNotFound();

    const token = req.headers["private-token"];
    const role = typeof token === "string" ? tokens.get(token) : undefined;
    if (!role) return json(401, { message: "401 Unauthorized" });

    const owner = ownerOf(scope, ownerKey);
    if (!owner) return notFound(scope === "project" ? "Project" : "Group");
    if (isMergeRequests) {
      if (req.method !== "GET") return routeNotFound();
      const perPage = Math.min(100, Math.max(1, Number(req.query.get("per_page") ?? 20) || 20));
      const mine = mergeRequests.filter((m) => m.projectId === owner.id).reverse();
      return json(
        200,
        mine.slice(0, perPage).map((m) => ({
          id: m.id,
          iid: m.iid,
          project_id: m.projectId,
          title: m.title,
          state: "opened",
          created_at: m.createdAt,
        })),
      );
    }
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
    if (rest.length > 0) return actions(req, h, owner.id, String(token), rest);
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
        .map((h) => ({ ...h, events: { ...h.events }, health: { ...h.health } }));
    },
    hook: (id) => {
      const h = hooks.get(id);
      return h && { ...h, events: { ...h.events }, health: { ...h.health } };
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
    addMergeRequest: (projectPath, title = "A change") => {
      const project = mustOwner("project", projectPath);
      const iid = mergeRequests.filter((m) => m.projectId === project.id).length + 1;
      const mr: FakeMergeRequest = {
        id: 1000 + mergeRequests.length,
        iid,
        projectId: project.id,
        title,
        createdAt: new Date().toISOString(),
      };
      mergeRequests.push(mr);
      return { ...mr };
    },
    emit: async (scope, idOrPath, eventField) => {
      const owner = mustOwner(scope, idOrPath);
      const project = scope === "project" ? owner : projectsUnder(owner.id)[0];
      // The project's hooks and those of every group above it (or the group's and its parents').
      const path = owner.path;
      const groupIds = groups
        .filter((g) => path === g.path || path.startsWith(`${g.path}/`))
        .map((g) => g.id);
      const targets = [...hooks.values()].filter(
        (h) =>
          ((h.scope === scope && h.ownerId === owner.id) ||
            (h.scope === "group" && groupIds.includes(h.ownerId))) &&
          h.events[eventField] === true &&
          executable(h.health),
      );
      const results: ExecutionResult[] = [];
      for (const h of targets) {
        const p = project ?? { id: 15, path: "sandbox/placeholder" };
        const newest = mergeRequests.filter((m) => m.projectId === p.id).at(-1);
        const data =
          eventField === "merge_requests_events"
            ? sampleMergeRequest(
                p,
                newest ?? {
                  id: 999,
                  iid: 1,
                  projectId: p.id,
                  title: "A change",
                  createdAt: new Date().toISOString(),
                },
                baseUrl,
              )
            : samplePush(p, baseUrl);
        results.push(await runHook(h, eventField, data));
      }
      return results;
    },
    hookEvents: (hookId) => logs.filter((l) => l.hookId === hookId).map((l) => ({ ...l })),
    disableHook: (id, how) => {
      const h = hooks.get(id);
      if (!h) throw new Error(`fake GitLab has no hook ${id}`);
      h.health.recentFailures = how === "permanently" ? PERMANENT_THRESHOLD + 1 : FAILURE_THRESHOLD + 1;
      h.health.disabledUntil = how === "permanently" ? null : Date.now() + 60_000;
    },
    enableHook: (id) => {
      const h = hooks.get(id);
      if (!h) throw new Error(`fake GitLab has no hook ${id}`);
      h.health = { recentFailures: 0, backoffCount: 0, disabledUntil: null };
    },
    setVersion: (v) => {
      version = v;
    },
  };
}
