// Stand-in for GitHub's organization and repository webhook REST API; follows
// reference/delivery-verification.md A1 and reference/codehost-apis.md section 1. Hooks with
// GitHub's shapes (the secret read back as "********"), tokens as `Bearer` or `token`, 404 for what
// a token cannot see, pings (204) and hook creation that really send a signed `ping`, deliveries
// listed newest first with a cursor in the `Link` header, one delivery with its request and
// response, and redelivery (202) that sends the event again under the same guid. Deliveries are real
// POSTs to loopback receivers (./deliver.ts). By default it is a GitHub Enterprise Server: the API
// under /api/v3, which is where the component and doctor look for any GitHub that is not
// github.com, 30 s timeout and 7 days to redeliver; `edition: "dotcom"` serves at the root with
// github.com's 10 s and 3 days.
import { randomUUID } from "node:crypto";
import { type FakeRequest, type FakeResponse, json, startFakeServer } from "../server";
import { attempt, type EventSpec, type GitHubDeliveryRecord, renderDelivery } from "./deliver";
import {
  describeTarget,
  type GitHubHookRecord,
  type GitHubTarget,
  isoSeconds,
  parseConfig,
  parseHookBody,
  parseTarget,
  renderHook,
  subscribed,
  validationFailed,
} from "./model";
import { DOCS, deliveriesPage, hooksPage } from "./pages";

import { GITHUB_ADMIN_TOKEN, type GitHubFake, type GitHubFakeOptions, type GitHubGrant } from "./types";

export type { GitHubDeliveryRecord } from "./deliver";
export { isLoopback } from "./deliver";
export type { GitHubHookRecord, GitHubTarget } from "./model";
export { GITHUB_ADMIN_TOKEN, type GitHubFake, type GitHubFakeOptions, type GitHubGrant } from "./types";

const notFound = (): FakeResponse =>
  json(404, { message: "Not Found", documentation_url: DOCS, status: "404" });
const DAY = 24 * 60 * 60 * 1000;

export async function startGitHubFake(opts: GitHubFakeOptions = {}): Promise<GitHubFake> {
  const enterprise = (opts.edition ?? "enterprise") === "enterprise";
  const prefix = enterprise ? "/api/v3" : "";
  const timeoutMs = opts.timeoutMs ?? (enterprise ? 30_000 : 10_000);
  const windowMs = (enterprise ? 7 : 3) * DAY;
  const tokens = new Map<string, GitHubGrant>(
    Object.entries(opts.tokens ?? { [GITHUB_ADMIN_TOKEN]: { orgs: "all", repos: "all" } }),
  );
  const orgIds = new Map<string, number>();
  const repoIds = new Map<string, number>();
  const hooks = new Map<number, GitHubHookRecord>();
  const records: GitHubDeliveryRecord[] = [];
  const specs = new Map<number, EventSpec>();
  const pending = new Set<Promise<unknown>>();
  let nextHookId = 1;
  let nextDeliveryId = 1;
  let apiBase = "";
  let host = "";

  const addOrg = (org: string) => {
    if (!orgIds.has(org)) orgIds.set(org, 1000 + orgIds.size);
  };
  const addRepo = (fullName: string) => {
    parseTarget(fullName);
    if (!repoIds.has(fullName)) repoIds.set(fullName, 5000 + repoIds.size);
  };
  for (const o of opts.orgs ?? []) addOrg(o);
  for (const r of opts.repos ?? []) addRepo(r);

  const exists = (t: GitHubTarget) =>
    t.kind === "organization" ? orgIds.has(t.org) : repoIds.has(`${t.owner}/${t.repo}`);
  const targetId = (t: GitHubTarget) =>
    (t.kind === "organization" ? orgIds.get(t.org) : repoIds.get(`${t.owner}/${t.repo}`)) ?? 0;
  const sameTarget = (a: GitHubTarget, b: GitHubTarget) =>
    describeTarget(a) === describeTarget(b) && a.kind === b.kind;
  const allowed = (grant: GitHubGrant, t: GitHubTarget): boolean => {
    const ownsOrg = (org: string) => grant.orgs === "all" || (grant.orgs ?? []).includes(org);
    if (t.kind === "organization") return ownsOrg(t.org);
    return ownsOrg(t.owner) || grant.repos === "all" || (grant.repos ?? []).includes(`${t.owner}/${t.repo}`);
  };

  const store = (
    r: Omit<GitHubDeliveryRecord, "id" | "redelivery">,
    redelivery: boolean,
    spec: EventSpec,
  ) => {
    const record: GitHubDeliveryRecord = { ...r, id: nextDeliveryId++, redelivery };
    records.push(record);
    specs.set(record.id, spec);
    const h = hooks.get(record.hookId);
    if (h) {
      const ok = record.status === "OK";
      h.lastResponse = {
        code: record.statusCode || null,
        status: ok ? "active" : "failed",
        message: record.status,
      };
    }
    return record;
  };
  // While held, deliveries wait (a test sets up what receives them first).
  let held: { promise: Promise<void>; release: () => void } | undefined;
  const send = async (h: GitHubHookRecord, spec: EventSpec, redelivery = false) => {
    while (held) await held.promise;
    return store(
      await attempt(h, spec, {
        timeoutMs,
        ...(enterprise ? { enterprise: { version: "3.17.0", host } } : {}),
      }),
      redelivery,
      spec,
    );
  };
  const inBackground = (p: Promise<unknown>) => {
    pending.add(p);
    void p.finally(() => pending.delete(p));
  };

  const context = (t: GitHubTarget): Record<string, unknown> =>
    t.kind === "organization"
      ? { organization: { login: t.org, id: targetId(t) } }
      : {
          repository: {
            id: targetId(t),
            name: t.repo,
            full_name: `${t.owner}/${t.repo}`,
            owner: { login: t.owner },
          },
          ...(orgIds.has(t.owner) ? { organization: { login: t.owner, id: orgIds.get(t.owner) } } : {}),
        };
  const ping = (h: GitHubHookRecord) => {
    const payload = {
      zen: "Design for failure.",
      hook_id: h.id,
      hook: renderHook(h, apiBase),
      ...context(h.target),
      sender: { login: "stand-in" },
    };
    const spec: EventSpec = {
      guid: randomUUID(),
      event: "ping",
      payload,
      repositoryId: h.target.kind === "repository" ? targetId(h.target) : null,
      targetId: targetId(h.target),
    };
    inBackground(send(h, spec));
  };

  const createHook = (target: GitHubTarget, fields: ReturnType<typeof defaults>): GitHubHookRecord => {
    const now = isoSeconds(Date.now());
    const h: GitHubHookRecord = {
      id: nextHookId++,
      target,
      ...fields,
      createdAt: now,
      updatedAt: now,
      lastResponse: { code: null, status: "unused", message: null },
    };
    hooks.set(h.id, h);
    ping(h);
    return h;
  };
  const defaults = (f: {
    url: string;
    secret?: string;
    events?: string[];
    contentType?: "json" | "form";
    active?: boolean;
    insecureSsl?: "0" | "1";
  }) => ({
    url: f.url,
    secret: f.secret ?? "",
    // GitHub's defaults: push only, form-encoded, active.
    events: f.events ?? ["push"],
    contentType: f.contentType ?? ("form" as const),
    active: f.active ?? true,
    insecureSsl: f.insecureSsl ?? ("0" as const),
  });

  const bodyOf = (req: FakeRequest): Record<string, unknown> | undefined => {
    if (req.body.length === 0) return {};
    try {
      const v: unknown = JSON.parse(req.body.toString("utf8"));
      return v && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
    } catch {
      return undefined;
    }
  };
  const problems = (message: string) =>
    json(400, { message: "Problems parsing JSON", documentation_url: DOCS, status: "400", detail: message });

  const listHooks = (req: FakeRequest, target: GitHubTarget): FakeResponse =>
    hooksPage(
      req,
      [...hooks.values()].filter((h) => sameTarget(h.target, target)),
      apiBase,
      req.path.slice(prefix.length),
    );
  const listDeliveries = (req: FakeRequest, h: GitHubHookRecord): FakeResponse =>
    deliveriesPage(
      req,
      records.filter((d) => d.hookId === h.id),
      apiBase,
      req.path.slice(prefix.length),
    );

  const hookRoute = async (req: FakeRequest, h: GitHubHookRecord, rest: string[]): Promise<FakeResponse> => {
    const [sub, deliveryKey, leaf, ...extra] = rest;
    if (sub === undefined) {
      if (req.method === "GET") return json(200, renderHook(h, apiBase));
      if (req.method === "DELETE") {
        hooks.delete(h.id);
        return { status: 204 };
      }
      if (req.method === "PATCH") {
        const body = bodyOf(req);
        if (!body) return problems("body is not a JSON object");
        const parsed = parseHookBody(body, h.target, false);
        if (!parsed.ok) return json(422, validationFailed(parsed.message));
        const f = parsed.value;
        if (body.config !== undefined) {
          // "When you update a webhook, the secret will be overwritten": a config without one removes it.
          if (f.url === undefined) return json(422, validationFailed("Config must contain URL"));
          h.url = f.url;
          h.secret = f.secret ?? "";
          h.contentType = f.contentType ?? "form";
          h.insecureSsl = f.insecureSsl ?? "0";
        }
        if (f.events) h.events = f.events;
        if (h.target.kind === "repository") {
          if (Array.isArray(body.add_events))
            h.events = [...new Set([...h.events, ...body.add_events.map(String)])];
          if (Array.isArray(body.remove_events))
            h.events = h.events.filter((e) => !(body.remove_events as unknown[]).includes(e));
        }
        if (f.active !== undefined) h.active = f.active;
        h.updatedAt = isoSeconds(Date.now());
        return json(200, renderHook(h, apiBase));
      }
      return notFound();
    }
    if (sub === "config" && deliveryKey === undefined) {
      const config = () => ({ ...(renderHook(h, apiBase).config as Record<string, unknown>) });
      if (req.method === "GET") return json(200, config());
      if (req.method === "PATCH") {
        const body = bodyOf(req);
        if (!body) return problems("body is not a JSON object");
        const parsed = parseConfig(body);
        if (!parsed.ok) return json(422, validationFailed(parsed.message));
        const f = parsed.value;
        if (f.url !== undefined) h.url = f.url;
        if (f.secret !== undefined) h.secret = f.secret;
        if (f.contentType !== undefined) h.contentType = f.contentType;
        if (f.insecureSsl !== undefined) h.insecureSsl = f.insecureSsl;
        h.updatedAt = isoSeconds(Date.now());
        return json(200, config());
      }
      return notFound();
    }
    if (sub === "pings" && deliveryKey === undefined && req.method === "POST") {
      ping(h);
      return { status: 204 };
    }
    if (
      sub === "tests" &&
      deliveryKey === undefined &&
      req.method === "POST" &&
      h.target.kind === "repository"
    ) {
      // "If the hook is not subscribed to push events, the server will respond with 204 but no test POST will be generated."
      if (subscribed(h, "push")) {
        const t = h.target;
        inBackground(
          send(h, {
            guid: randomUUID(),
            event: "push",
            payload: {
              ref: "refs/heads/main",
              before: "0".repeat(40),
              after: "1".repeat(40),
              ...context(t),
              sender: { login: "stand-in" },
            },
            repositoryId: targetId(t),
            targetId: targetId(t),
          }),
        );
      }
      return { status: 204 };
    }
    if (sub !== "deliveries" || extra.length > 0) return notFound();
    if (deliveryKey === undefined) return req.method === "GET" ? listDeliveries(req, h) : notFound();
    const d = /^\d+$/.test(deliveryKey)
      ? records.find((r) => r.id === Number(deliveryKey) && r.hookId === h.id)
      : undefined;
    if (!d) return notFound();
    if (leaf === undefined) return req.method === "GET" ? json(200, renderDelivery(d)) : notFound();
    if (leaf !== "attempts" || req.method !== "POST") return notFound();
    if (Date.now() - d.at > windowMs) {
      return json(
        422,
        validationFailed(`deliveries older than ${windowMs / DAY} days cannot be redelivered`),
      );
    }
    const spec = specs.get(d.id)!;
    inBackground(send(h, spec, true));
    return json(202, {});
  };

  const handler = async (req: FakeRequest): Promise<FakeResponse> => {
    if (!req.path.startsWith(`${prefix}/`)) return notFound();
    const parts = req.path
      .slice(prefix.length + 1)
      .split("/")
      .map((s) => decodeURIComponent(s));
    const auth = req.headers.authorization;
    if (auth === undefined)
      return json(401, { message: "Requires authentication", documentation_url: DOCS, status: "401" });
    const m = /^(?:bearer|token)\s+(\S+)\s*$/i.exec(auth);
    const grant = m ? tokens.get(m[1]!) : undefined;
    if (!grant) return json(401, { message: "Bad credentials", documentation_url: DOCS, status: "401" });

    let target: GitHubTarget;
    let rest: string[];
    if (parts[0] === "orgs" && parts[1] && parts[2] === "hooks") {
      target = { kind: "organization", org: parts[1] };
      rest = parts.slice(3);
    } else if (parts[0] === "repos" && parts[1] && parts[2] && parts[3] === "hooks") {
      target = { kind: "repository", owner: parts[1], repo: parts[2] };
      rest = parts.slice(4);
    } else {
      return notFound();
    }
    // GitHub hides what a token may not administer behind a 404.
    if (!exists(target) || !allowed(grant, target)) return notFound();
    const [hookKey, ...below] = rest;
    if (hookKey === undefined) {
      if (req.method === "GET") return listHooks(req, target);
      if (req.method !== "POST") return notFound();
      const body = bodyOf(req);
      if (!body) return problems("body is not a JSON object");
      const parsed = parseHookBody(body, target, true);
      if (!parsed.ok) return json(422, validationFailed(parsed.message));
      const f = parsed.value;
      if ([...hooks.values()].some((h) => sameTarget(h.target, target) && h.url === f.url)) {
        return json(422, validationFailed(`Hook already exists on this ${target.kind}`));
      }
      const h = createHook(target, defaults({ ...f, url: f.url! }));
      return json(201, renderHook(h, apiBase));
    }
    const h = /^\d+$/.test(hookKey) ? hooks.get(Number(hookKey)) : undefined;
    if (!h || !sameTarget(h.target, target)) return notFound();
    return hookRoute(req, h, below);
  };

  const server = await startFakeServer(handler, { ...opts.network, port: opts.port });
  apiBase = `${server.url}${prefix}`;
  host = new URL(server.url).host;

  const mustHook = (id: number) => {
    const h = hooks.get(id);
    if (!h) throw new Error(`GitHub stand-in has no hook ${id}`);
    return h;
  };
  const copy = (h: GitHubHookRecord): GitHubHookRecord => ({
    ...h,
    events: [...h.events],
    lastResponse: { ...h.lastResponse },
  });

  return Object.assign(server, {
    apiUrl: apiBase,
    redeliveryWindowMs: windowMs,
    addOrg,
    addRepo,
    hooks: (target?: string) => {
      const t = target === undefined ? undefined : parseTarget(target);
      return [...hooks.values()].filter((h) => !t || sameTarget(h.target, t)).map(copy);
    },
    hook: (id: number) => {
      const h = hooks.get(id);
      return h && copy(h);
    },
    addHook: (
      target: string,
      init: {
        url: string;
        secret?: string;
        events?: string[];
        contentType?: "json" | "form";
        active?: boolean;
      },
    ) => {
      const t = parseTarget(target);
      if (!exists(t)) throw new Error(`GitHub stand-in has no ${t.kind} ${target}`);
      return copy(createHook(t, defaults(init)));
    },
    setHook: (
      id: number,
      patch: Partial<
        Pick<GitHubHookRecord, "url" | "secret" | "events" | "active" | "contentType" | "insecureSsl">
      >,
    ) => {
      Object.assign(mustHook(id), patch);
    },
    deleteHook: (id: number) => {
      hooks.delete(id);
    },
    setToken: (token: string, grant: GitHubGrant | undefined) => {
      if (grant) tokens.set(token, grant);
      else tokens.delete(token);
    },
    emit: async (target: string, event: string, payload: Record<string, unknown> = {}) => {
      const t = parseTarget(target);
      if (!exists(t)) throw new Error(`GitHub stand-in has no ${t.kind} ${target}`);
      const spec: EventSpec = {
        guid: randomUUID(),
        event,
        payload: { ...context(t), sender: { login: "stand-in" }, ...payload },
        repositoryId: t.kind === "repository" ? targetId(t) : null,
        targetId: targetId(t),
      };
      const org: GitHubTarget | undefined =
        t.kind === "repository" && orgIds.has(t.owner) ? { kind: "organization", org: t.owner } : undefined;
      const to = [...hooks.values()].filter(
        (h) =>
          h.active &&
          subscribed(h, event) &&
          (sameTarget(h.target, t) || (org !== undefined && sameTarget(h.target, org))),
      );
      return Promise.all(to.map((h) => send(h, spec)));
    },
    deliveries: (hookId?: number) =>
      records.filter((d) => hookId === undefined || d.hookId === hookId).map((d) => ({ ...d })),
    backdate: (deliveryId: number, ms: number) => {
      const d = records.find((r) => r.id === deliveryId);
      if (!d) throw new Error(`GitHub stand-in has no delivery ${deliveryId}`);
      d.at -= ms;
    },
    settled: async () => {
      while (pending.size > 0) await Promise.allSettled([...pending]);
    },
    holdDeliveries: () => {
      if (held) return;
      let release = () => {};
      const promise = new Promise<void>((resolve) => {
        release = resolve;
      });
      held = { promise, release };
    },
    releaseDeliveries: () => {
      const h = held;
      held = undefined;
      h?.release();
    },
  });
}
