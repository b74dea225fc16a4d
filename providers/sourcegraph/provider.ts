// The dynamic provider of SourcegraphReceiver (type pulumi-nodejs:dynamic/sourcegraph:Receiver).
// The resource class hands Pulumi a stub that forwards here (src/dynamic/forwarding-provider.ts).
import type * as pulumi from "@pulumi/pulumi";
import { AmbiguousRequestError } from "../http";
import { withCredentials } from "../shared";
import { checkInputs } from "./check";
import {
  createReceiver,
  deleteReceiver,
  getReceiver,
  listReceivers,
  type ReceiverPatch,
  type SourcegraphConnection,
  updateReceiver,
} from "./client";
import { endpointForCreate, tokenCandidates } from "./credentials";
import { diffReceiver } from "./diff";
import { cannotClearSecret, isRefused, missingToken, SourcegraphError } from "./errors";
import { generateSecret } from "./secret";
import { toOutputs, upgradeOutputs } from "./state";
import type { Receiver, ReceiverInputs, ReceiverOutputs } from "./types";
import { sameUrn } from "./urn";

type Props = Record<string, unknown>;

function inputsOf(props: Props): ReceiverInputs {
  return props as unknown as ReceiverInputs;
}

function givenCredentials(i: ReceiverInputs): ReceiverOutputs["sourcegraph"] {
  const s = i.sourcegraph;
  return s && (s.endpoint || s.accessToken) ? { ...s } : undefined;
}

/** Runs `fn` with the given tokens in order, moving on when one is refused (rotated or revoked). */
function withTokens<T>(
  endpoint: string,
  tokens: string[],
  secrets: Array<string | undefined>,
  fn: (conn: SourcegraphConnection) => Promise<T>,
): Promise<T> {
  return withCredentials({ candidates: tokens, refused: isRefused, missing: missingToken }, (accessToken) =>
    fn({ endpoint, accessToken, secrets }),
  );
}

function describe(rs: Receiver[]): string {
  return rs.map((r) => `${r.id} "${r.name}" (${r.url})`).join(", ");
}

/** What has to change on an existing receiver to match the declaration. */
function patchFor(
  endpoint: string,
  current: { id: string; name: string; codeHostKind: string; codeHostURN: string; secret?: string | null },
  i: ReceiverInputs,
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
async function findExisting(conn: SourcegraphConnection, i: ReceiverInputs): Promise<Receiver | undefined> {
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

async function adopt(conn: SourcegraphConnection, r: Receiver, i: ReceiverInputs): Promise<Receiver> {
  const patch = patchFor(conn.endpoint, r, i);
  return Object.keys(patch).length > 0 ? updateReceiver(conn, r.id, patch) : r;
}

async function createOrAdopt(conn: SourcegraphConnection, i: ReceiverInputs): Promise<Receiver> {
  const existing = await findExisting(conn, i);
  if (existing) return adopt(conn, existing, i);
  const secret = typeof i.secret === "string" ? i.secret : i.secret === false ? undefined : generateSecret();
  const fields = { name: i.webhookName, codeHostKind: i.codeHostKind, codeHostURN: i.codeHostUrn, secret };
  try {
    return await createReceiver(conn, fields);
  } catch (err) {
    if (!(err instanceof AmbiguousRequestError)) throw err;
    // The create may have happened: adopt what it made rather than make a duplicate.
    const made = await findExisting(conn, { ...i, adopt: false, secret: secret ?? false });
    if (made) return adopt(conn, made, { ...i, secret: secret ?? false });
    try {
      return await createReceiver(conn, fields);
    } catch (again) {
      if (again instanceof AmbiguousRequestError) {
        throw new SourcegraphError(
          `Sourcegraph at ${conn.endpoint} did not answer createWebhook twice; if it made the receiver, the next \`pulumi up\` adopts it (same kind, code host URN and webhookName)`,
          "unreachable",
        );
      }
      throw again;
    }
  }
}

export const provider: Required<
  Pick<pulumi.dynamic.ResourceProvider, "check" | "diff" | "create" | "read" | "update" | "delete">
> = {
  async check(_olds: Props, news: Props) {
    return checkInputs(news);
  },

  async diff(id: string, olds: Props, news: Props) {
    return diffReceiver(id, olds, news);
  },

  async create(inputs: Props) {
    const i = inputsOf(inputs);
    const endpoint = endpointForCreate(i.sourcegraph?.endpoint);
    const secrets = [typeof i.secret === "string" ? i.secret : undefined];
    const r = await withTokens(endpoint, tokenCandidates(i.sourcegraph?.accessToken), secrets, (conn) =>
      createOrAdopt(conn, i),
    );
    return { id: r.id, outs: toOutputs(r, endpoint, givenCredentials(i)) };
  },

  async read(id: string, props: Props) {
    const o = upgradeOutputs(props, id);
    const r = await withTokens(o.endpoint, tokenCandidates(o.sourcegraph?.accessToken), [o.secret], (conn) =>
      getReceiver(conn, o.webhookId),
    );
    // Gone: refresh drops it from the state and the next `pulumi up` creates it again.
    if (!r) return {};
    return { id: r.id, props: toOutputs(r, o.endpoint, o.sourcegraph) };
  },

  async update(id: string, olds: Props, news: Props) {
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
    const tokens = tokenCandidates(i.sourcegraph?.accessToken, o.sourcegraph?.accessToken);
    const r = await withTokens(o.endpoint, tokens, [o.secret, patch.secret], async (conn) => {
      try {
        return await updateReceiver(conn, o.webhookId, patch);
      } catch (err) {
        if (err instanceof SourcegraphError && err.kind === "notFound") {
          throw new SourcegraphError(
            `Receiver ${o.webhookId} no longer exists in Sourcegraph at ${o.endpoint}: run \`pulumi refresh\` so that the next \`pulumi up\` creates it again`,
            "notFound",
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

  async delete(id: string, props: Props) {
    const o = upgradeOutputs(props, id);
    await withTokens(o.endpoint, tokenCandidates(o.sourcegraph?.accessToken), [o.secret], (conn) =>
      deleteReceiver(conn, o.webhookId),
    );
  },
};
