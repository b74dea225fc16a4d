// The code host kinds of Sourcegraph's incoming-webhook receivers, spelled as Sourcegraph spells
// them (its `ExternalServiceKind` names; it also knows AZUREDEVOPS, which is out of scope here). One
// definition for the provider, the component, the ingest and the relay: `src` imports it from here,
// since providers/ never imports src/.

export const CODE_HOST_KINDS = ["GITHUB", "GITLAB", "BITBUCKETSERVER", "BITBUCKETCLOUD"] as const;

export type CodeHostKind = (typeof CODE_HOST_KINDS)[number];

/** Whether a value (such as a kind Sourcegraph reports) is one of ours. */
export function isCodeHostKind(value: unknown): value is CodeHostKind {
  return (CODE_HOST_KINDS as readonly unknown[]).includes(value);
}
