// Every value doctor and redeliver must never print: the tokens they use, the environment's tokens,
// and the webhook secrets they read along the way (Sourcegraph returns a receiver's secret, the
// Bitbucket Server plugin a hook's). Every message is redacted with the whole set before it is shown.
import { redact } from "../../providers/http";

/** The environment variables that hold credentials, for any host. */
export const CREDENTIAL_VARIABLES = [
  "SRC_ACCESS_TOKEN",
  "GITHUB_TOKEN",
  "GITLAB_TOKEN",
  "BITBUCKET_SERVER_TOKEN",
  "BITBUCKET_SERVER_PASSWORD",
  "BITBUCKET_CLOUD_TOKEN",
  "BITBUCKET_CLOUD_API_TOKEN",
] as const;

export class SecretBag {
  private readonly values = new Set<string>();

  constructor(env: NodeJS.ProcessEnv = process.env) {
    for (const name of CREDENTIAL_VARIABLES) this.add(env[name]);
  }

  add(...values: ReadonlyArray<string | null | undefined>): void {
    for (const v of values) if (typeof v === "string" && v !== "") this.values.add(v);
  }

  list(): string[] {
    return [...this.values];
  }

  /** The text with every known secret removed. */
  clean(text: string): string {
    return this.values.size === 0 ? text : redact(text, this.list());
  }
}
