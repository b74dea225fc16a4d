// The root program that `Pulumi.yaml` runs: the whole declaration comes from the stack's config
// (`Pulumi.<stack>.yaml`), so a GitOps pipeline changes webhooks by changing that file.
import * as pulumi from "@pulumi/pulumi";
import { SourcegraphWebhooks } from "../components/sourcegraph-webhooks";
import { readDeclaration } from "./config";
import { ROOT_COMPONENT_NAME } from "./root-component";

const declaration = readDeclaration(pulumi.getProject(), pulumi.runtime.allConfig());
const webhooks = new SourcegraphWebhooks(ROOT_COMPONENT_NAME, declaration);

/** Every receiver: connection, kind, code host URL, UUID, receiver URL and delivery URL. */
export const receivers = webhooks.receivers;
/**
 * Every hook: connection, code host, kind, target, hook ID, receiver UUID, delivery URL and API base
 * (`pulumi stack output --json | sg-webhooks doctor --outputs -` reads it with `receivers`).
 */
export const hooks = webhooks.hooks;
/** The relay's receivers file (a secret): `pulumi stack output --show-secrets relayReceiversFile > receivers.json`. */
export const relayReceiversFile = webhooks.relayReceiversFile;
