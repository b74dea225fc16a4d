// The dynamic provider of SourcegraphReceiver (type pulumi-nodejs:dynamic/sourcegraph:Receiver).
// The resource class hands Pulumi a stub that forwards here (src/dynamic/forwarding-provider.ts).
import { AmbiguousRequestError } from "../http";
import { createOrAdopt, type DynamicProvider, dynamicProvider, type Props } from "../shared";
import { check } from "./check";
import {
  createReceiver,
  deleteReceiver,
  getReceiver,
  listReceivers,
  type ReceiverPatch,
  type SourcegraphConnection,
  updateReceiver,
} from "./client";
import { endpointForCreate, withClient } from "./credentials";
import { diff } from "./diff";
import { cannotClearSecret, SourcegraphError } from "./errors";
import { generateSecret } from "./secret";
import { toOutputs, upgradeOutputs } from "./state";
import type { Inputs, Outputs, Receiver } from "./types";
import { sameUrn } from "./urn";

function inputsOf(props: Props): Inputs {
  return props as unknown as Inputs;
}

function givenCredentials(i: Inputs): Outputs["sourcegraph"] {
  const s = i.sourcegraph;
  return s && (s.endpoint || s.accessToken) ? { ...s } : undefined;
}

function describe(rs: Receiver[]): string {
  return rs.map((r) => `${r.id} "${r.name}" (${r.url})`).join(", ");
}

/** What has to change on an existing receiver to match the declaration. */
function patchFor(
  endpoint: string,
  current: { id: string; name: string; codeHostKind: string; codeHostURN: string; secret?: string | null },
  i: Inputs,
): ReceiverPatch {
  const patch: ReceiverPatch = {};
  if (current.name !== i.webhookName) patch.name = i.webhookName;
  if (current.codeHostKind !== i.codeHostKind) patch.codeHostKind = i.codeHostKind;
  if (!sameUrn(current.codeHostURN, i.codeHostUrn)) patch.codeHostURN = i.codeHostUrn;
  if (typeof i.secret === "string" && i.secret !== current.secret) patch.secret = i.secret;
  else if (i.secret === false && current.secret) throw cannotClearSecret(endpoint, current.id);
  else if (i.secret === undefined && !current.secret) patch.secret = generateSecret();
  return patch;
}

/** Looks for the receiver this declaration owns (or, with adopt, one made by hand). */
async function findExisting(conn: SourcegraphConnection, i: Inputs): Promise<Receiver | undefined> {
  const sameHost = (await listReceivers(conn, { kind: i.codeHostKind })).filter(
    (r) => r.codeHostKind === i.codeHostKind && sameUrn(r.codeHostURN, i.codeHostUrn),
  );
  const same = sameHost.filter((r) => r.name === i.webhookName);
  if (same.length > 1) {
    throw new SourcegraphError(
      `Sourcegraph at ${conn.endpoint} has ${same.length} receivers named "${i.webhookName}" for ${i.codeHostKind} ${i.codeHostUrn}: ${describe(same)}. Delete the extra ones (Site admin > Incoming webhooks) so that one is left to adopt`,
      "config",
    );
  }
  if (same.length === 1) return same[0];
  if (!i.adopt || sameHost.length === 0) return undefined;
  if (sameHost.length > 1) {
    throw new SourcegraphError(
      `adopt: true found ${sameHost.length} receivers for ${i.codeHostKind} ${i.codeHostUrn} in Sourcegraph at ${conn.endpoint}: ${describe(sameHost)}. Set webhookName to the name of the one to adopt, or delete the others`,
      "config",
    );
  }
  return sameHost[0];
}

async function adopt(conn: SourcegraphConnection, r: Receiver, i: Inputs): Promise<Receiver> {
  const patch = patchFor(conn.endpoint, r, i);
  return Object.keys(patch).length > 0 ? updateReceiver(conn, r.id, patch) : r;
}

function createOrAdoptReceiver(conn: SourcegraphConnection, i: Inputs): Promise<Receiver> {
  const secret = typeof i.secret === "string" ? i.secret : i.secret === false ? undefined : generateSecret();
  // After an ambiguous create, only the receiver it made counts: same name, and the secret it sent.
  const made: Inputs = { ...i, adopt: false, secret: secret ?? false };
  return createOrAdopt({
    find: (again) => findExisting(conn, again ? made : i),
    adopt: (r, again) => adopt(conn, r, again ? { ...i, secret: made.secret } : i),
    create: () =>
      createReceiver(conn, {
        name: i.webhookName,
        codeHostKind: i.codeHostKind,
        codeHostURN: i.codeHostUrn,
        secret,
      }),
    identity: "the receiver with the same kind, code host URN and webhookName",
  });
}

export const provider: DynamicProvider = dynamicProvider({
  check,
  diff,

  async create(inputs) {
    const i = inputsOf(inputs);
    const endpoint = endpointForCreate(i.sourcegraph?.endpoint);
    const target = {
      endpoint,
      given: i.sourcegraph?.accessToken,
      secrets: [typeof i.secret === "string" ? i.secret : undefined],
    };
    const r = await withClient(target, (conn) => createOrAdoptReceiver(conn, i));
    return { id: r.id, outs: toOutputs(r, endpoint, givenCredentials(i)) };
  },

  async read(id, props = {}) {
    const o = upgradeOutputs(props, id);
    const target = { endpoint: o.endpoint, stored: o.sourcegraph?.accessToken, secrets: [o.secret] };
    const r = await withClient(target, (conn) => getReceiver(conn, o.webhookId));
    // Gone: refresh drops it from the state and the next `pulumi up` creates it again.
    if (!r) return {};
    return { id: r.id, props: toOutputs(r, o.endpoint, o.sourcegraph) };
  },

  async update(id, olds, news) {
    const o = upgradeOutputs(olds, id);
    const i = inputsOf(news);
    const patch = patchFor(
      o.endpoint,
      {
        id: o.webhookId,
        name: o.webhookName,
        codeHostKind: o.codeHostKind,
        codeHostURN: o.codeHostUrn,
        secret: o.secret,
      },
      i,
    );
    const credentials = givenCredentials(i);
    if (Object.keys(patch).length === 0) {
      // Only stored credentials changed (a rotated token): nothing to send.
      const { sourcegraph: _, ...rest } = o;
      return { outs: { ...rest, ...(credentials ? { sourcegraph: credentials } : {}) } };
    }
    const target = {
      endpoint: o.endpoint,
      given: i.sourcegraph?.accessToken,
      stored: o.sourcegraph?.accessToken,
      secrets: [o.secret, patch.secret],
    };
    const r = await withClient(target, async (conn) => {
      try {
        return await updateReceiver(conn, o.webhookId, patch);
      } catch (err) {
        if (err instanceof SourcegraphError && err.reason === "notFound") {
          throw new SourcegraphError(
            `Receiver ${o.webhookId} no longer exists in Sourcegraph at ${o.endpoint}: run \`pulumi refresh\` so that the next \`pulumi up\` creates it again`,
            "notFound",
            { cause: err },
          );
        }
        if (err instanceof AmbiguousRequestError) {
          // updateWebhook sets absolute values: sending it again is harmless once we know it still exists.
          if (!(await getReceiver(conn, o.webhookId))) throw err;
          return updateReceiver(conn, o.webhookId, patch);
        }
        throw err;
      }
    });
    return { outs: toOutputs(r, o.endpoint, credentials) };
  },

  async delete(id, props) {
    const o = upgradeOutputs(props, id);
    const target = { endpoint: o.endpoint, stored: o.sourcegraph?.accessToken, secrets: [o.secret] };
    await withClient(target, (conn) => deleteReceiver(conn, o.webhookId));
  },
});
