// The name the root program gives its SourcegraphWebhooks component: the prefix of every resource
// name in its stacks. Apart from index.ts (which deploys) so that offline tools (`sg-webhooks diff`)
// name resources as a preview does without loading the program.

/** The root program's component name. Changing it replaces every resource of every stack. */
export const ROOT_COMPONENT_NAME = "sourcegraph";
