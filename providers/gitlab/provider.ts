import type * as pulumi from "@pulumi/pulumi";
import { sameEvents } from "../events";
import { AmbiguousRequestError, redact } from "../http";
import { createOnceMore, credentialCandidates, env, withCredentials } from "../shared";
import { checkHook } from "./check";
import { type HookClient, type HookSettings, hookClient, type RemoteHook } from "./client";
import { diffHook } from "./diff";
import { explain, missingTokenError, notFoundKind, unauthorizedMessage } from "./errors";
import type { HookScope } from "./events";
import { type HookInputs, type HookOutputs, ownerIdKey, SCHEMA_VERSION } from "./inputs";
import { GitLabHttpError } from "./requester";
import { upgradeOutputs } from "./state";

interface Credential {
  readonly token: string;
  readonly source: string;
}

const isUnauthorized = (err: unknown): boolean => err instanceof GitLabHttpError && err.status === 401;

/** Checked inputs, whether or not the engine ran check first (tests call the provider directly). */
function resolveInputs(scope: HookScope, raw: Record<string, unknown>): HookInputs {
  const { inputs, failures } = checkHook(scope, raw);
  if (failures && failures.length > 0) throw new Error(failures.map((f) => f.reason).join("; "));
  return inputs as HookInputs;
}

function settingsOf(inputs: HookInputs): HookSettings {
  return {
    url: inputs.url,
    events: inputs.events,
    enableSslVerification: inputs.enableSslVerification,
    secret: inputs.secret,
  };
}

/** Drops undefined values: the gRPC Struct has no representation for them. */
function compact<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

/**
 * Runs `fn` with a client for each credential candidate in turn (the stored or declared token,
 * then GITLAB_TOKEN read now), so a rotated token does not break refresh or destroy. Errors other
 * than 401 are rewritten to name the fix.
 */
async function withClient<T>(
  scope: HookScope,
  instance: string,
  owner: string,
  stored: Credential | undefined,
  secret: string | undefined,
  fn: (client: HookClient) => Promise<T>,
): Promise<T> {
  const fromEnv = env("GITLAB_TOKEN");
  const candidates = credentialCandidates<Credential>(
    [stored, fromEnv ? { token: fromEnv, source: "GITLAB_TOKEN" } : undefined],
    (a, b) => a.token === b.token,
  );
  const secrets = [...candidates.map((c) => c.token), secret];
  let last: Credential | undefined;
  try {
    return await withCredentials(
      { candidates, refused: isUnauthorized, missing: () => missingTokenError(instance) },
      async (cred) => {
        last = cred;
        const client = hookClient(scope, { url: instance, token: cred.token }, secret);
        try {
          return await fn(client);
        } catch (err) {
          if (isUnauthorized(err)) throw err;
          throw await explain(err, { scope, owner, instance, tokenSource: cred.source, secrets }, client);
        }
      },
    );
  } catch (err) {
    if (isUnauthorized(err)) throw new Error(redact(unauthorizedMessage(instance, last?.source), secrets));
    throw err;
  }
}

/** The hook to adopt: one already delivering to the declared URL, so a create never duplicates it. */
async function findByUrl(client: HookClient, owner: string, url: string): Promise<RemoteHook | undefined> {
  const hooks = await client.list(owner);
  return hooks.filter((h) => h.url === url).sort((a, b) => a.id - b.id)[0];
}

function outputsOf(scope: HookScope, inputs: HookInputs, remote: RemoteHook, instance: string): HookOutputs {
  const out: HookOutputs = {
    schemaVersion: SCHEMA_VERSION,
    hookId: remote.id,
    gitlabUrl: instance,
    gitlabToken: inputs.gitlab?.token,
    url: remote.url,
    events: remote.events,
    enableSslVerification: remote.enableSslVerification,
    secret: inputs.secret,
  };
  out[scope] = inputs[scope];
  out[ownerIdKey(scope)] = remote.ownerId;
  return compact(out);
}

/** The reference used in API calls: the numeric ID GitLab reported survives a rename of the path. */
function ownerRef(scope: HookScope, state: HookOutputs): string {
  const id = state[ownerIdKey(scope)];
  return id !== undefined ? String(id) : String(state[scope]);
}

function storedCredential(state: HookOutputs): Credential | undefined {
  return state.gitlabToken ? { token: state.gitlabToken, source: "the stored gitlab.token" } : undefined;
}

/** `withClient` on the instance, owner, credential and secret the state stores (read and delete). */
function withStoredClient<T>(
  scope: HookScope,
  state: HookOutputs,
  fn: (client: HookClient) => Promise<T>,
): Promise<T> {
  return withClient(scope, state.gitlabUrl, String(state[scope]), storedCredential(state), state.secret, fn);
}

/** A 404 saying the hook, or its project or group, no longer exists. */
function isGone(err: unknown): boolean {
  const kind = notFoundKind(err);
  return kind === "hook" || kind === "project" || kind === "group";
}

export type HookProvider = Required<Omit<pulumi.dynamic.ResourceProvider, "configure">>;

export function makeHookProvider(scope: HookScope): HookProvider {
  const label = `${scope} hook`;
  return {
    async check(_olds, news) {
      return checkHook(scope, news);
    },

    async diff(_id, olds, news) {
      return diffHook(scope, olds, news);
    },

    async create(raw) {
      const inputs = resolveInputs(scope, raw);
      const instance = inputs.gitlab!.url!;
      const owner = inputs[scope]!;
      const settings = settingsOf(inputs);
      const token = inputs.gitlab?.token;
      const remote = await withClient(
        scope,
        instance,
        owner,
        token ? { token, source: "gitlab.token" } : undefined,
        inputs.secret,
        async (client) => {
          const existing = await findByUrl(client, owner, inputs.url);
          if (existing) return client.edit(owner, existing.id, settings);
          try {
            return await client.add(owner, settings);
          } catch (err) {
            if (!(err instanceof AmbiguousRequestError)) throw err;
            // The POST may have been processed: adopt what it made, or POST once more if it did not.
            const made = await findByUrl(client, owner, inputs.url);
            if (made) return client.edit(owner, made.id, settings);
            return createOnceMore(() => client.add(owner, settings), "the hook with the same receiver URL");
          }
        },
      );
      return { id: String(remote.id), outs: outputsOf(scope, inputs, remote, instance) };
    },

    async read(id, props) {
      const state = upgradeOutputs(props);
      const remote = await withStoredClient(scope, state, async (client) => {
        try {
          return await client.show(ownerRef(scope, state), state.hookId);
        } catch (err) {
          // The hook, or its project or group, is gone: refresh drops it and the next up recreates it.
          if (isGone(err)) return undefined;
          throw err;
        }
      });
      if (!remote) return {};
      const props2: HookOutputs = compact({
        ...state,
        url: remote.url,
        events: remote.events,
        enableSslVerification: remote.enableSslVerification,
        [ownerIdKey(scope)]: remote.ownerId ?? state[ownerIdKey(scope)],
      });
      return { id: id || String(state.hookId), props: props2 };
    },

    async update(_id, olds, news) {
      const state = upgradeOutputs(olds);
      const inputs = resolveInputs(scope, news);
      const settings = settingsOf(inputs);
      const remoteChanged =
        inputs.url !== state.url ||
        inputs.enableSslVerification !== state.enableSslVerification ||
        (inputs.secret ?? undefined) !== (state.secret ?? undefined) ||
        !sameEvents(inputs.events, state.events);
      let remote: RemoteHook = {
        id: state.hookId,
        url: state.url,
        events: state.events,
        enableSslVerification: state.enableSslVerification,
        ownerId: state[ownerIdKey(scope)],
      };
      if (remoteChanged) {
        const token = inputs.gitlab?.token;
        const owner = String(state[scope]);
        remote = await withClient(
          scope,
          state.gitlabUrl,
          owner,
          token ? { token, source: "gitlab.token" } : storedCredential(state),
          inputs.secret ?? state.secret,
          async (client) => {
            try {
              // Always with the token: GitLab resets it when the URL changes.
              return await client.edit(ownerRef(scope, state), state.hookId, settings);
            } catch (err) {
              if (notFoundKind(err) === "hook") {
                throw new Error(
                  `GitLab ${label} ${state.hookId} no longer exists on ${scope} "${owner}" at ${state.gitlabUrl}: run \`pulumi refresh\` so the next \`pulumi up\` creates it again`,
                );
              }
              throw err;
            }
          },
        );
      }
      return { outs: outputsOf(scope, inputs, remote, state.gitlabUrl) };
    },

    async delete(_id, props) {
      const state = upgradeOutputs(props);
      await withStoredClient(scope, state, async (client) => {
        try {
          await client.remove(ownerRef(scope, state), state.hookId);
        } catch (err) {
          // GitLab answers 404 for a hook (or project, or group) that is already gone: success.
          if (isGone(err)) return;
          throw err;
        }
      });
    },
  };
}
