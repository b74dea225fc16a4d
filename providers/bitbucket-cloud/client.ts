// Bitbucket Cloud webhook calls through the `bitbucket` client, sent by our own transport.
// API: https://developer.atlassian.com/cloud/bitbucket/rest/api-group-webhooks/ (and Bitbucket's
// Swagger in node-bitbucket's specification/).
import { type APIClient, Bitbucket } from "bitbucket";
import { excerpt, redact } from "../http";
import { type Credential, credentialSecrets } from "../shared";
import { BitbucketCloudError, CREDENTIALS_HINT, reasonOf } from "./errors";
import { SendTransport } from "./transport";
import { SERVICE } from "./types";

/** Where hooks live: a repository, or (no `repository`) a workspace, at an API. */
export interface HookTarget {
  readonly apiUrl: string;
  readonly workspace: string;
  /** Absent for a workspace hook. */
  readonly repository?: string;
}

/** Only the fields of a `HookTarget`, from any object that has them. */
export function hookTarget(s: HookTarget): HookTarget {
  return { apiUrl: s.apiUrl, workspace: s.workspace, ...(s.repository ? { repository: s.repository } : {}) };
}

/** `repository acme/widgets` or `workspace acme`, for messages. */
export function describeTarget(target: HookTarget): string {
  return target.repository
    ? `repository ${target.workspace}/${target.repository}`
    : `workspace ${target.workspace}`;
}

/** What we send on create and update. `secret: null` removes it; leaving it out keeps it. */
export interface HookPayload {
  url: string;
  description: string;
  active: boolean;
  events: string[];
  secret?: string | null;
}

export interface RemoteHook {
  readonly uuid: string;
  readonly url: string;
  readonly description: string;
  readonly active: boolean;
  readonly events: string[];
  readonly secretSet: boolean;
}

/**
 * The client's generated types omit `_body` on `updateWebhook` and on the workspace hook
 * create/update routes, although the runtime sends it as the JSON body (bitbucket 2.12.0 lib/index.js).
 * This is the one place that widens them; a function taking `P` also takes `P & { _body }`.
 */
function acceptingBody<P, R>(method: (params: P) => R): (params: P & { _body: HookPayload }) => R {
  return method;
}

interface HttpErrorLike {
  readonly name: string;
  readonly status: number;
  readonly error?: unknown;
}

function isHttpError(err: unknown): err is HttpErrorLike {
  return (
    typeof err === "object" &&
    err !== null &&
    (err as { name?: unknown }).name === "HTTPError" &&
    typeof (err as { status?: unknown }).status === "number"
  );
}

/** Bitbucket's error JSON `{type: "error", error: {message, detail?, fields?}}`, as one line. */
function describeBody(body: unknown, secrets: readonly string[]): string {
  if (typeof body === "string") return excerpt(body, secrets);
  const e = (body as { error?: { message?: unknown; detail?: unknown; fields?: unknown } } | undefined)
    ?.error;
  if (!e) return "";
  const parts = [typeof e.message === "string" ? e.message : ""];
  if (e.fields && typeof e.fields === "object") {
    for (const [k, v] of Object.entries(e.fields))
      parts.push(`${k}: ${Array.isArray(v) ? v.join(" ") : String(v)}`);
  } else if (typeof e.detail === "string") parts.push(e.detail);
  return excerpt(parts.filter(Boolean).join("; "), secrets);
}

function toRemote(data: unknown): RemoteHook {
  const d = (data ?? {}) as Record<string, unknown>;
  if (typeof d.uuid !== "string")
    throw new BitbucketCloudError(`${SERVICE} answered a hook without a uuid`, "http");
  return {
    uuid: d.uuid,
    url: typeof d.url === "string" ? d.url : "",
    description: typeof d.description === "string" ? d.description : "",
    active: d.active !== false,
    events: Array.isArray(d.events) ? d.events.filter((e): e is string => typeof e === "string") : [],
    secretSet: d.secret_set === true,
  };
}

const MAX_PAGES = 100;

/** The hooks of one repository or workspace, through one credential. */
export class HookClient {
  private readonly transport: SendTransport;
  private readonly client: APIClient;
  private readonly secrets: string[];

  constructor(
    readonly scope: HookTarget,
    credential: Credential,
    extraSecrets: readonly string[] = [],
  ) {
    this.secrets = [...credentialSecrets(credential), ...extraSecrets];
    this.transport = new SendTransport(SERVICE, this.secrets);
    this.client = new Bitbucket({
      baseUrl: scope.apiUrl,
      notice: false,
      auth:
        credential.kind === "token"
          ? { token: credential.token }
          : { username: credential.username, password: credential.password },
      request: { fetch: this.transport.fetch },
    });
  }

  /** `workspace/repository`, or `workspace` for a workspace hook. */
  get target(): string {
    return this.scope.repository ? `${this.scope.workspace}/${this.scope.repository}` : this.scope.workspace;
  }

  async list(): Promise<RemoteHook[]> {
    const { workspace, repository } = this.scope;
    const out: RemoteHook[] = [];
    await this.call(`listing the hooks of ${this.target}`, async () => {
      let page = repository
        ? await this.client.repositories.listWebhooks({ workspace, repo_slug: repository, pagelen: 100 })
        : await this.client.workspaces.getWebhooksForWorkspace({ workspace, pagelen: 100 });
      for (let i = 0; i < MAX_PAGES; i++) {
        for (const v of page.data.values ?? []) out.push(toRemote(v));
        if (!this.client.hasNextPage(page.data)) break;
        page = await this.client.getNextPage(page.data);
      }
    });
    return out;
  }

  /** The hook, or undefined when it (or its repository or workspace) is gone. */
  async get(uuid: string): Promise<RemoteHook | undefined> {
    const { workspace, repository } = this.scope;
    return this.call(
      `reading hook ${uuid} of ${this.target}`,
      async () =>
        toRemote(
          (repository
            ? await this.client.repositories.getWebhook({ workspace, repo_slug: repository, uid: uuid })
            : await this.client.workspaces.getWebhookForWorkspace({ workspace, uid: uuid })
          ).data,
        ),
      true,
    );
  }

  async create(payload: HookPayload): Promise<RemoteHook> {
    const { workspace, repository } = this.scope;
    return this.call(`creating a hook on ${this.target}`, async () =>
      toRemote(
        (repository
          ? await this.client.repositories.createWebhook({ workspace, repo_slug: repository, _body: payload })
          : await acceptingBody(this.client.workspaces.createWebhookForWorkspace)({
              workspace,
              _body: payload,
            })
        ).data,
      ),
    );
  }

  /** The updated hook, or undefined when it is gone. */
  async update(uuid: string, payload: HookPayload): Promise<RemoteHook | undefined> {
    const { workspace, repository } = this.scope;
    return this.call(
      `updating hook ${uuid} of ${this.target}`,
      async () =>
        toRemote(
          (repository
            ? await acceptingBody(this.client.repositories.updateWebhook)({
                workspace,
                repo_slug: repository,
                uid: uuid,
                _body: payload,
              })
            : await acceptingBody(this.client.workspaces.updateWebhookForWorkspace)({
                workspace,
                uid: uuid,
                _body: payload,
              })
          ).data,
        ),
      true,
    );
  }

  /** False when the hook was already gone. */
  async delete(uuid: string): Promise<boolean> {
    const { workspace, repository } = this.scope;
    const done = await this.call(
      `deleting hook ${uuid} of ${this.target}`,
      async () => {
        if (repository)
          await this.client.repositories.deleteWebhook({ workspace, repo_slug: repository, uid: uuid });
        else await this.client.workspaces.deleteWebhookForWorkspace({ workspace, uid: uuid });
        return true;
      },
      true,
    );
    return done === true;
  }

  private async call<T>(what: string, fn: () => Promise<T>, notFoundIsGone: true): Promise<T | undefined>;
  private async call<T>(what: string, fn: () => Promise<T>): Promise<T>;
  private async call<T>(what: string, fn: () => Promise<T>, notFoundIsGone = false): Promise<T | undefined> {
    this.transport.takeError();
    try {
      return await fn();
    } catch (err) {
      // ConnectionError and AmbiguousRequestError from `send`, unwrapped from the client's HTTPError.
      const transportError = this.transport.takeError();
      if (transportError) throw transportError;
      if (isHttpError(err)) {
        if (err.status === 404 && notFoundIsGone) return undefined;
        // Not the client's HTTPError as `cause`: it carries the request, Authorization header included.
        throw new BitbucketCloudError(
          redact(this.explain(err.status, err.error, what), this.secrets),
          reasonOf(err.status),
          err.status,
        );
      }
      throw err;
    }
  }

  private explain(status: number, body: unknown, what: string): string {
    const where = `${SERVICE} at ${this.scope.apiUrl} answered ${status} to ${what}`;
    const said = describeBody(body, this.secrets);
    const detail = said ? ` (${said})` : "";
    switch (status) {
      case 401:
        return `${where}: the credentials were refused${detail}; ${CREDENTIALS_HINT}`;
      case 403:
        return (
          `${where}: the credentials lack permission to manage webhooks${detail}. ` +
          `An access token needs the "webhook" scope (Webhooks: Read and write); an Atlassian API token needs ` +
          `read:webhook:bitbucket, write:webhook:bitbucket and delete:webhook:bitbucket; ` +
          `subscribing to events also needs read access to repositories and pull requests ` +
          `(scopes repository and pullrequest, or read:repository:bitbucket and read:pullrequest:bitbucket); ` +
          `and the account must be an administrator of ${this.scope.repository ? `repository ${this.target}` : `workspace ${this.target}`}`
        );
      case 404:
        return this.scope.repository
          ? `${where}: repository "${this.target}" was not found${detail}; check the workspace and repository slugs (as in https://bitbucket.org/${this.target}) and that the credentials can see the repository`
          : `${where}: workspace "${this.target}" was not found${detail}; check the workspace slug (as in https://bitbucket.org/${this.target}/) and that the credentials can see it`;
      case 429:
        return `${where} after retries: the rate limit was exceeded${detail}. Bitbucket Cloud allows about 1,000 webhook requests an hour; try again later, and for many repositories prefer one workspace hook (omit repository)`;
      case 400:
        return `${where}: the hook was refused${detail}; fix the url or events`;
      default:
        return `${where}${detail}`;
    }
  }
}
