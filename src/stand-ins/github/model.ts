// The GitHub stand-in's hooks: what it stores, how GitHub renders them (the secret masked), and how
// a create or update body is read. Shapes from GitHub's REST description as @octokit/openapi-types
// carries it (`hook`, `org-hook`, `webhook-config`, "orgs/create-webhook", "repos/create-webhook").
import { GITHUB_EVENTS } from "../../../providers/events";

/** Whose hook: an organization's or a repository's (`owner/name`). */
export type GitHubTarget =
  | { readonly kind: "organization"; readonly org: string }
  | { readonly kind: "repository"; readonly owner: string; readonly repo: string };

export interface GitHubHookRecord {
  readonly id: number;
  readonly target: GitHubTarget;
  active: boolean;
  /** `["*"]` is every event. */
  events: string[];
  url: string;
  contentType: "json" | "form";
  /** GitHub's `insecure_ssl`: "1" skips certificate verification. */
  insecureSsl: "0" | "1";
  /** Write-only on the API ("********" on reads); kept here for signing and for tests. */
  secret: string;
  readonly createdAt: string;
  updatedAt: string;
  lastResponse: { code: number | null; status: string; message: string | null };
}

const KNOWN_EVENTS: ReadonlySet<string> = new Set([...GITHUB_EVENTS, "*"]);

/** GitHub's time format: seconds, `Z`. */
export function isoSeconds(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
}

export function targetPath(t: GitHubTarget): string {
  return t.kind === "organization" ? `orgs/${t.org}` : `repos/${t.owner}/${t.repo}`;
}

export function describeTarget(t: GitHubTarget): string {
  return t.kind === "organization" ? t.org : `${t.owner}/${t.repo}`;
}

/** `acme` is an organization, `acme/widgets` a repository. */
export function parseTarget(text: string): GitHubTarget {
  const parts = text.split("/");
  if (parts.length === 1 && parts[0]) return { kind: "organization", org: parts[0] };
  if (parts.length === 2 && parts[0] && parts[1])
    return { kind: "repository", owner: parts[0], repo: parts[1] };
  throw new Error(`GitHub stand-in: "${text}" is neither an organization nor owner/name`);
}

/** The hook as GitHub answers it: the secret masked, URLs under the API base. */
export function renderHook(h: GitHubHookRecord, apiBase: string): Record<string, unknown> {
  const self = `${apiBase}/${targetPath(h.target)}/hooks/${h.id}`;
  const config: Record<string, unknown> = {
    url: h.url,
    content_type: h.contentType,
    insecure_ssl: h.insecureSsl,
  };
  if (h.secret !== "") config.secret = "********";
  const common = {
    id: h.id,
    name: "web",
    active: h.active,
    events: [...h.events],
    config,
    updated_at: h.updatedAt,
    created_at: h.createdAt,
    url: self,
    ping_url: `${self}/pings`,
    deliveries_url: `${self}/deliveries`,
  };
  return h.target.kind === "organization"
    ? { ...common, type: "Organization" }
    : {
        ...common,
        type: "Repository",
        test_url: `${self}/test`,
        last_response: { ...h.lastResponse },
      };
}

/** GitHub's 422 body. */
export function validationFailed(message: string): Record<string, unknown> {
  return {
    message: "Validation Failed",
    errors: [{ resource: "Hook", code: "custom", message }],
    documentation_url: "https://docs.github.com/rest/webhooks",
    status: "422",
  };
}

export type Parsed<T> = { ok: true; value: T } | { ok: false; message: string };

export interface HookFields {
  active?: boolean;
  events?: string[];
  url?: string;
  contentType?: "json" | "form";
  insecureSsl?: "0" | "1";
  /** Present when the body set it; "" removes it. */
  secret?: string;
}

function validUrl(u: string): boolean {
  try {
    const parsed = new URL(u);
    return parsed.protocol === "http:" || parsed.protocol === "https:";
  } catch {
    return false;
  }
}

/** The config object of a create or update body (`insecure_ssl` may be a string or a number). */
export function parseConfig(raw: unknown): Parsed<HookFields> {
  if (raw === null || typeof raw !== "object" || Array.isArray(raw))
    return { ok: false, message: "config must be an object" };
  const c = raw as Record<string, unknown>;
  const out: HookFields = {};
  if (c.url !== undefined) {
    if (typeof c.url !== "string" || !validUrl(c.url)) return { ok: false, message: "Config url is invalid" };
    out.url = c.url;
  }
  if (c.content_type !== undefined) {
    if (c.content_type !== "json" && c.content_type !== "form")
      return { ok: false, message: `Config content_type "${String(c.content_type)}" is not json or form` };
    out.contentType = c.content_type;
  }
  if (c.insecure_ssl !== undefined) {
    const v = String(c.insecure_ssl);
    if (v !== "0" && v !== "1") return { ok: false, message: "Config insecure_ssl must be 0 or 1" };
    out.insecureSsl = v;
  }
  if (c.secret !== undefined) {
    if (c.secret !== null && typeof c.secret !== "string")
      return { ok: false, message: "Config secret must be a string" };
    out.secret = c.secret ?? "";
  }
  return { ok: true, value: out };
}

/** A create (`POST …/hooks`) or update (`PATCH …/hooks/{id}`) body. */
export function parseHookBody(
  body: Record<string, unknown>,
  target: GitHubTarget,
  isCreate: boolean,
): Parsed<HookFields> {
  // Organizations require `name: "web"`; repositories default to it.
  if (isCreate && target.kind === "organization" && body.name !== "web")
    return { ok: false, message: 'name must be "web"' };
  if (body.name !== undefined && body.name !== "web") return { ok: false, message: 'name must be "web"' };
  let out: HookFields = {};
  if (body.config !== undefined) {
    const c = parseConfig(body.config);
    if (!c.ok) return c;
    out = c.value;
  }
  if (isCreate && out.url === undefined) return { ok: false, message: "Config must contain URL" };
  if (body.events !== undefined) {
    if (!Array.isArray(body.events) || body.events.some((e) => typeof e !== "string"))
      return { ok: false, message: "events must be a list of strings" };
    const unknown = (body.events as string[]).filter((e) => !KNOWN_EVENTS.has(e));
    if (unknown.length > 0) return { ok: false, message: `Events are not supported: ${unknown.join(", ")}` };
    out.events = [...new Set(body.events as string[])];
  }
  if (body.active !== undefined) {
    if (typeof body.active !== "boolean") return { ok: false, message: "active must be a boolean" };
    out.active = body.active;
  }
  return { ok: true, value: out };
}

/** Whether a hook takes an event. */
export function subscribed(h: GitHubHookRecord, event: string): boolean {
  return event === "ping" || h.events.includes("*") || h.events.includes(event);
}
