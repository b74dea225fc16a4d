import type { CodeHostKind } from "../shared/code-host-kind";

export { CODE_HOST_KINDS, type CodeHostKind } from "../shared/code-host-kind";

/** Bumped when the shape of the outputs changes; `upgradeOutputs` reads every earlier one. */
export const SCHEMA_VERSION = 1;

/** Inputs after `check`. */
export interface Inputs {
  codeHostKind: CodeHostKind;
  /** Normalized. */
  codeHostUrn: string;
  webhookName: string;
  /** A string to set, false for none, undefined to generate one (or keep the current one). */
  secret?: string | false;
  adopt?: boolean;
  sourcegraph?: { endpoint?: string; accessToken?: string };
}

/** What create, read and update return, and what read, update and delete get back (a type, so that it is a `Props`). */
export type Outputs = {
  schemaVersion: number;
  /** The GraphQL ID, also the Pulumi ID. */
  webhookId: string;
  uuid: string;
  /** Where code hosts deliver. */
  url: string;
  codeHostKind: string;
  codeHostUrn: string;
  webhookName: string;
  /** Absent when the receiver has no secret. A secret output. */
  secret?: string;
  /** The Sourcegraph instance, normalized. Read, update and delete always use this one. */
  endpoint: string;
  /** Only what was given as inputs (a secret output): env credentials are read at call time. */
  sourcegraph?: { endpoint?: string; accessToken?: string };
};

/** A receiver as Sourcegraph returns it. */
export interface Receiver {
  id: string;
  uuid: string;
  url: string;
  name: string;
  codeHostKind: string;
  codeHostURN: string;
  secret: string | null;
}
