// The dynamic providers of GitLabProjectHook and GitLabGroupHook, one per scope. The resource
// classes hand Pulumi a stub that forwards here (src/dynamic/forwarding-provider.ts).
import { sameEvents } from "../events";
import {
  compact,
  createOrAdopt,
  type DynamicProvider,
  dynamicProvider,
  type Props,
  tokenCredential,
} from "../shared";
import { check } from "./check";
import type { HookClient, HookSettings, RemoteHook } from "./client";
import { type Target, withClient } from "./credentials";
import { diff } from "./diff";
import { GitLabError, notFoundKind } from "./errors";
import { upgradeOutputs } from "./state";
import { type HookScope, type Inputs, type Outputs, ownerIdKey, SCHEMA_VERSION } from "./types";

/** Checked inputs, whether or not the engine ran check first (tests call the provider directly). */
function resolveInputs(scope: HookScope, raw: Props): Inputs {
  const { inputs, failures } = check(raw, scope);
  if (failures.length > 0) throw new GitLabError(failures.map((f) => f.reason).join("; "), "invalidInputs");
  return inputs as unknown as Inputs;
}

function settingsOf(inputs: Inputs): HookSettings {
  return {
    url: inputs.url,
    events: inputs.events,
    enableSslVerification: inputs.enableSslVerification,
    secret: inputs.secret,
  };
}

/** The hook to adopt: one already delivering to the declared URL, so a create never duplicates it. */
async function findByUrl(client: HookClient, owner: string, url: string): Promise<RemoteHook | undefined> {
  const hooks = await client.list(owner);
  return hooks.filter((h) => h.url === url).sort((a, b) => a.id - b.id)[0];
}

function outputsOf(scope: HookScope, inputs: Inputs, remote: RemoteHook, instance: string): Outputs {
  const out: Outputs = {
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
function ownerRef(scope: HookScope, state: Outputs): string {
  const id = state[ownerIdKey(scope)];
  return id !== undefined ? String(id) : String(state[scope]);
}

/** The instance, owner, token and secret the state stores (read and delete). */
function storedTarget(scope: HookScope, state: Outputs): Target {
  return {
    scope,
    instance: state.gitlabUrl,
    owner: String(state[scope]),
    credential: tokenCredential(state.gitlabToken, "the stored gitlab.token"),
    secret: state.secret,
  };
}

/** A 404 saying the hook, or its project or group, no longer exists. */
function isGone(err: unknown): boolean {
  const kind = notFoundKind(err);
  return kind === "hook" || kind === "project" || kind === "group";
}

export function makeHookProvider(scope: HookScope): DynamicProvider {
  const label = `${scope} hook`;
  return dynamicProvider({
    check: (news) => check(news, scope),
    diff: (id, olds, news) => diff(id, olds, news, scope),

    async create(raw) {
      const inputs = resolveInputs(scope, raw);
      const instance = inputs.gitlab!.url!;
      const owner = inputs[scope]!;
      const settings = settingsOf(inputs);
      const target = {
        scope,
        instance,
        owner,
        credential: tokenCredential(inputs.gitlab?.token, "gitlab.token"),
        secret: inputs.secret,
      };
      const remote = await withClient(target, (client) =>
        createOrAdopt({
          find: () => findByUrl(client, owner, inputs.url),
          adopt: (found) => client.edit(owner, found.id, settings),
          create: () => client.add(owner, settings),
          identity: "the hook with the same receiver URL",
        }),
      );
      return { id: String(remote.id), outs: outputsOf(scope, inputs, remote, instance) };
    },

    async read(id, props = {}) {
      const state = upgradeOutputs(props, id);
      const remote = await withClient(storedTarget(scope, state), async (client) => {
        try {
          return await client.show(ownerRef(scope, state), state.hookId);
        } catch (err) {
          // The hook, or its project or group, is gone: refresh drops it and the next up recreates it.
          if (isGone(err)) return undefined;
          throw err;
        }
      });
      if (!remote) return {};
      const refreshed: Outputs = compact({
        ...state,
        url: remote.url,
        events: remote.events,
        enableSslVerification: remote.enableSslVerification,
        [ownerIdKey(scope)]: remote.ownerId ?? state[ownerIdKey(scope)],
      });
      return { id: id || String(state.hookId), props: refreshed };
    },

    async update(id, olds, news) {
      const state = upgradeOutputs(olds, id);
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
        const stored = storedTarget(scope, state);
        const target = {
          ...stored,
          credential: tokenCredential(inputs.gitlab?.token, "gitlab.token") ?? stored.credential,
          secret: inputs.secret ?? state.secret,
        };
        remote = await withClient(target, async (client) => {
          try {
            // Always with the token: GitLab resets it when the URL changes.
            return await client.edit(ownerRef(scope, state), state.hookId, settings);
          } catch (err) {
            if (notFoundKind(err) === "hook") {
              throw new GitLabError(
                `GitLab ${label} ${state.hookId} no longer exists on ${scope} "${target.owner}" at ${state.gitlabUrl}: run \`pulumi refresh\` so the next \`pulumi up\` creates it again`,
                "gone",
                { cause: err },
              );
            }
            throw err;
          }
        });
      }
      return { outs: outputsOf(scope, inputs, remote, state.gitlabUrl) };
    },

    async delete(id, props) {
      const state = upgradeOutputs(props, id);
      await withClient(storedTarget(scope, state), async (client) => {
        try {
          await client.remove(ownerRef(scope, state), state.hookId);
        } catch (err) {
          // GitLab answers 404 for a hook (or project, or group) that is already gone: success.
          if (isGone(err)) return;
          throw err;
        }
      });
    },
  });
}
