// The plugin's three calls (GET, POST and DELETE on /rest/sourcegraph-admin/1.0/webhook, as the
// Sourcegraph Bitbucket Server plugin's WebhookRouter.java serves them). Each maps the plugin's
// answers to errors that name the fix; retries and timeouts are send()'s.
import { createHash } from "node:crypto";
import { excerpt, type HttpMethod, type HttpResponse, send } from "../http";
import { authorization, type Credential, coalesce, credentialSecrets } from "../shared";
import { BitbucketServerError, NotSystemAdminError, noPlugin } from "./errors";
import { PLUGIN_PATH, type PluginWebhook } from "./types";

export interface Session {
  readonly instanceUrl: string;
  readonly credential: Credential;
  /** Webhook secrets to keep out of messages, besides the credential. */
  readonly secrets: readonly string[];
}

/** What the plugin's POST takes. */
export interface UpsertBody {
  readonly name: string;
  readonly scope: string;
  readonly events: readonly string[];
  readonly endpoint: string;
  readonly secret: string;
}

const SERVICE = "Bitbucket Server";

async function call(
  s: Session,
  method: HttpMethod,
  body?: { contentType: string; text: string },
): Promise<HttpResponse> {
  const headers: Record<string, string> = {
    authorization: authorization(s.credential),
    accept: "application/json",
    // Atlassian's REST XSRF check may refuse form-encoded writes from a non-browser without it.
    "x-atlassian-token": "no-check",
  };
  if (body) headers["content-type"] = body.contentType;
  const res = await send({
    method,
    url: `${s.instanceUrl}${PLUGIN_PATH}`,
    headers,
    body: body?.text,
    // POST is an upsert keyed by name and DELETE by name: repeating either after a dropped
    // connection lands in the same state, so send() may replay them.
    idempotent: true,
    secrets: [...credentialSecrets(s.credential), ...s.secrets],
    service: SERVICE,
  });
  if (res.status === 401) throw new NotSystemAdminError(s.instanceUrl, [s.credential.source]);
  return res;
}

function unexpected(s: Session, method: HttpMethod, res: HttpResponse, what: string): BitbucketServerError {
  const said = excerpt(res.body, [...credentialSecrets(s.credential), ...s.secrets], 500);
  const detail = said === "" ? "" : `: ${said}`;
  return new BitbucketServerError(
    `the Bitbucket Server at ${s.instanceUrl} answered ${res.status} to ${method} ${PLUGIN_PATH} (${what})${detail}`,
    "http",
  );
}

/**
 * Every plugin webhook, secrets included (the plugin's GET serializes them). Overlapping calls for
 * the same instance and credential share one GET sent after each of them asked (the plugin can
 * only list them all, so reading N hooks one by one would fetch N lists of N).
 */
export function listWebhooks(s: Session): Promise<PluginWebhook[]> {
  const key = createHash("sha256")
    .update(`${s.instanceUrl}\n${authorization(s.credential)}`)
    .digest("hex");
  // A copy each: the callers share one answer.
  return coalesce(key, () => fetchWebhooks(s)).then((all) => [...all]);
}

async function fetchWebhooks(s: Session): Promise<PluginWebhook[]> {
  const res = await call(s, "GET");
  if (res.status === 404) throw noPlugin(s.instanceUrl);
  if (res.status !== 200) throw unexpected(s, "GET", res, "listing webhooks");
  let parsed: unknown;
  try {
    parsed = JSON.parse(res.body);
  } catch {
    throw unexpected(
      s,
      "GET",
      { ...res, body: "" },
      "listing webhooks: the answer is not JSON; is bitbucketServer.url the instance URL?",
    );
  }
  if (!Array.isArray(parsed))
    throw unexpected(s, "GET", { ...res, body: "" }, "listing webhooks: expected a JSON array");
  return parsed.map(toWebhook);
}

function toWebhook(raw: unknown): PluginWebhook {
  const w = (raw ?? {}) as Record<string, unknown>;
  return {
    // The plugin's README shows the id as a string; its Gson output is a number. Accept both.
    id: Number(w.id),
    name: String(w.name ?? ""),
    scope: String(w.scope ?? ""),
    events: Array.isArray(w.events) ? w.events.map(String) : [],
    endpoint: String(w.endpoint ?? ""),
    ...(typeof w.secret === "string" ? { secret: w.secret } : {}),
    ...(typeof w.lastError === "string" ? { lastError: w.lastError } : {}),
    ...(typeof w.lastEvent === "string" ? { lastEvent: w.lastEvent } : {}),
  };
}

/** Creates or updates the hook named `body.name`. The plugin answers 204 without the id. */
export async function upsertWebhook(s: Session, body: UpsertBody): Promise<void> {
  const res = await call(s, "POST", { contentType: "application/json", text: JSON.stringify(body) });
  if (res.status === 204 || res.status === 200) return;
  const text = excerpt(res.body, [...credentialSecrets(s.credential), ...s.secrets]);
  if (res.status === 404 && /^No such (project|repository): /.test(text)) {
    const isProject = text.startsWith("No such project");
    throw new BitbucketServerError(
      `scope "${body.scope}": the Bitbucket Server at ${s.instanceUrl} answered 404 "${text}"; ${
        isProject
          ? "the project part is the project's NAME as shown in Bitbucket (not its key)"
          : "give repository:<PROJECT KEY>/<repository slug> of an existing repository"
      }, or use scope "global"`,
      "scopeNotFound",
    );
  }
  if (res.status === 404) throw noPlugin(s.instanceUrl);
  if (res.status === 422) {
    throw new BitbucketServerError(
      `the Sourcegraph plugin at ${s.instanceUrl} rejected webhook "${body.name}" (422): ${text}`,
      "rejected",
    );
  }
  throw unexpected(s, "POST", res, `saving webhook "${body.name}"`);
}

/** Deletes the hook by name. The plugin answers 204 whether or not it existed. */
export async function deleteWebhook(s: Session, name: string): Promise<void> {
  // The name is the upsert key; a numeric id may have been reused by a hook someone re-created.
  const form = new URLSearchParams({ name }).toString();
  const res = await call(s, "DELETE", { contentType: "application/x-www-form-urlencoded", text: form });
  if (res.status === 204 || res.status === 200) return;
  if (res.status === 404) throw noPlugin(s.instanceUrl);
  throw unexpected(s, "DELETE", res, `deleting webhook "${name}"`);
}
