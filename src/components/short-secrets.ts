// The warning for declared secrets too short to resist guessing: a warning, not a problem of the
// declaration (a short secret still works), logged on the component once each value is known. Apart
// from validation.ts because it needs @pulumi/pulumi, which the offline checks do without.
import * as pulumi from "@pulumi/pulumi";
import type { SourcegraphWebhooksArgs } from "./args";
import { shortSecretWarning } from "./validation";

/**
 * Warns, on `resource`, about every declared secret shorter than `MIN_SECRET_LENGTH` (a warning,
 * not an error: a short secret still works). A secret known only at deployment is checked then;
 * one that stays unknown in a preview is not.
 */
export function warnShortSecrets(args: SourcegraphWebhooksArgs, resource: pulumi.Resource): void {
  const connections = {
    github: args.github,
    gitlab: args.gitlab,
    bitbucketServer: args.bitbucketServer,
    bitbucketCloud: args.bitbucketCloud,
  };
  for (const [host, list] of Object.entries(connections)) {
    (list ?? []).forEach((c, i) => {
      if (c.secret === undefined || c.secret === false) return;
      pulumi.output(c.secret).apply((secret) => {
        const warning =
          typeof secret === "string" ? shortSecretWarning(`${host}[${i}].secret`, secret) : undefined;
        if (warning) void pulumi.log.warn(warning, resource);
      });
    });
  }
}
