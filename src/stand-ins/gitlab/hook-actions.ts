// GitLab's routes below one hook, beyond reading and writing it (reference/delivery-verification.md
// A2): `POST …/test/:trigger` (projects 16.11+, groups 17.1+; lib/api/hooks/trigger_test.rb) sends
// a real delivery with the project's data and answers 201 when the receiver said 2xx, else 422
// with the receiver's body; `GET …/events` (17.3+; lib/api/hooks/events.rb) lists the hook's
// executions of the past 7 days, newest first, at most 20 a page; `POST …/events/:id/resend`
// (17.4+; lib/api/hooks/resend_hook.rb) sends one again. Tests and resends are limited to 5 a
// minute per user (and project or hook), as GitLab's defaults are. On a version without a route
// the route does not exist: 404.

import { type RateLimit, SlidingWindow } from "../rate-limit";
import { type FakeRequest, type FakeResponse, json } from "../server";
import {
  type ExecutionResult,
  type HookLogRecord,
  renderLog,
  statusFilter,
  versionAtLeast,
} from "./executions";

const PROJECT_TRIGGERS = [
  "push_events",
  "tag_push_events",
  "issues_events",
  "confidential_issues_events",
  "note_events",
  "merge_requests_events",
  "job_events",
  "pipeline_events",
  "wiki_page_events",
  "releases_events",
  "emoji_events",
  "resource_access_token_events",
];
const GROUP_TRIGGERS = [...PROJECT_TRIGGERS, "milestone_events"];
const WEEK = 7 * 24 * 60 * 60 * 1000;

export interface ActionHook {
  readonly id: number;
  readonly scope: "project" | "group";
}

export interface HookActionsContext {
  version(): string;
  /** The data a test of `trigger` sends for this hook, or GitLab's 400 message when there is none. */
  testData(hook: ActionHook, trigger: string): { data: unknown } | { error: string };
  run(hook: ActionHook, trigger: string, data: unknown, idempotencyKey?: string): Promise<ExecutionResult>;
  logs(hookId: number): HookLogRecord[];
  instance(): string;
}

const routeNotFound = (): FakeResponse => json(404, { error: "404 Not Found" });
const tooMany = (): FakeResponse =>
  json(429, { message: { error: "This endpoint has been requested too many times. Try again later." } });

export function hookActions(ctx: HookActionsContext, rateLimit: RateLimit = { limit: 5, windowMs: 60_000 }) {
  const windows = new Map<string, SlidingWindow>();
  const admit = (key: string): boolean => {
    let w = windows.get(key);
    if (!w) {
      w = new SlidingWindow(rateLimit);
      windows.set(key, w);
    }
    return w.admit(Date.now()) === undefined;
  };
  const outcome = (r: ExecutionResult, success: () => FakeResponse): FakeResponse =>
    r.status !== undefined && r.status >= 200 && r.status < 300
      ? success()
      : json(422, { message: r.message });

  return async (req: FakeRequest, hook: ActionHook, ownerId: number, user: string, rest: string[]) => {
    const [action, key, leaf, ...extra] = rest;
    const version = ctx.version();
    if (action === "test" && key !== undefined && leaf === undefined && req.method === "POST") {
      if (!versionAtLeast(version, hook.scope === "project" ? 16 : 17, hook.scope === "project" ? 11 : 1))
        return routeNotFound();
      const triggers = hook.scope === "project" ? PROJECT_TRIGGERS : GROUP_TRIGGERS;
      if (!triggers.includes(key)) return json(400, { error: "trigger does not have a valid value" });
      if (!admit(`test:${hook.scope}:${ownerId}:${user}`)) return tooMany();
      const data = ctx.testData(hook, key);
      if ("error" in data) return json(400, { message: data.error });
      const result = await ctx.run(hook, key, data.data);
      return outcome(result, () => json(201, { message: "201 Created" }));
    }
    if (action !== "events" || extra.length > 0) return routeNotFound();
    if (key === undefined && req.method === "GET") {
      if (!versionAtLeast(version, 17, 3)) return routeNotFound();
      const perPageRaw = req.query.get("per_page");
      const perPage = perPageRaw === null ? 20 : Number(perPageRaw);
      if (!Number.isInteger(perPage) || perPage < 1 || perPage > 20)
        return json(400, { error: "per_page does not have a valid value" });
      const page = Math.max(1, Number(req.query.get("page") ?? 1) || 1);
      const filter = statusFilter(req.query.get("status"));
      if (typeof filter !== "function") return json(400, { error: filter.error });
      const since = Date.now() - WEEK;
      const all = ctx
        .logs(hook.id)
        .filter((l) => l.createdAt >= since && filter(l))
        .sort((a, b) => b.createdAt - a.createdAt || b.id - a.id);
      const totalPages = Math.max(1, Math.ceil(all.length / perPage));
      const headers: Record<string, string> = {
        "x-page": String(page),
        "x-per-page": String(perPage),
        "x-total": String(all.length),
        "x-total-pages": String(totalPages),
        "x-next-page": page < totalPages ? String(page + 1) : "",
      };
      if (page < totalPages) {
        const q = new URLSearchParams(req.query);
        q.set("page", String(page + 1));
        q.set("per_page", String(perPage));
        headers.link = `<${ctx.instance()}${req.path}?${q.toString()}>; rel="next"`;
      }
      return json(200, all.slice((page - 1) * perPage, page * perPage).map(renderLog), headers);
    }
    if (key !== undefined && leaf === "resend" && req.method === "POST") {
      if (!versionAtLeast(version, 17, 4)) return routeNotFound();
      const log = /^\d+$/.test(key) ? ctx.logs(hook.id).find((l) => l.id === Number(key)) : undefined;
      if (!log) return json(404, { message: "404 Not found" });
      if (!admit(`resend:${hook.id}:${user}`)) return tooMany();
      const eventField = `${log.trigger.replace(/_hooks$/, "").replace(/^merge_request$/, "merge_requests")}_events`;
      const result = await ctx.run(hook, eventField, log.requestData, log.idempotencyKey);
      return outcome(result, () => json(201, { response_status: result.status }));
    }
    return routeNotFound();
  };
}
