// Webhook hygiene, checked on every resource that makes a webhook for Sourcegraph, whoever declared
// it: the SourcegraphWebhooks component, this package's resources used on their own, or the GitHub
// and GitLab providers' own webhook resources. A hook must deliver over HTTPS, verify the receiver's
// TLS certificate and carry a secret (without one, anyone who knows the URL can forge deliveries);
// a GitHub hook must send JSON, the only payload Sourcegraph reads.
import type { ReportViolation, ResourceValidation, ResourceValidationPolicy } from "@pulumi/policy";

type Props = Record<string, unknown>;

/** Where one kind of webhook resource keeps what the policies read, and the input to name in a fix. */
export interface HookShape {
  label: string;
  url: { input: string; read(props: Props): unknown };
  /** Absent for hooks that have no such switch (Bitbucket's always verify). */
  tlsOff?: { input: string; read(props: Props): boolean };
  secret: { input: string; read(props: Props): unknown };
  /** GitHub only. */
  contentType?: { input: string; read(props: Props): unknown };
}

const field = (props: Props, key: string): unknown => props[key];
const configuration = (props: Props): Props => (field(props, "configuration") ?? {}) as Props;

function githubHook(label: string): HookShape {
  return {
    label,
    url: { input: "configuration.url", read: (p) => configuration(p).url },
    // The provider's boolean; GitHub's own API spells it "0" or "1".
    tlsOff: {
      input: "configuration.insecureSsl",
      read: (p) => [true, "1", 1].includes(configuration(p).insecureSsl as never),
    },
    secret: { input: "configuration.secret", read: (p) => configuration(p).secret },
    contentType: { input: "configuration.contentType", read: (p) => configuration(p).contentType },
  };
}

function plainHook(label: string, secretInput: string, tlsInput?: string): HookShape {
  return {
    label,
    url: { input: "url", read: (p) => field(p, "url") },
    ...(tlsInput ? { tlsOff: { input: tlsInput, read: (p: Props) => field(p, tlsInput) === false } } : {}),
    secret: { input: secretInput, read: (p) => field(p, secretInput) },
  };
}

/** Every webhook resource the policies know, by type token. */
export const HOOKS: Readonly<Record<string, HookShape>> = {
  "github:index/organizationWebhook:OrganizationWebhook": githubHook("GitHub organization webhook"),
  "github:index/repositoryWebhook:RepositoryWebhook": githubHook("GitHub repository webhook"),
  "pulumi-nodejs:dynamic/gitlab:ProjectHook": plainHook(
    "GitLab project hook",
    "secret",
    "enableSslVerification",
  ),
  "pulumi-nodejs:dynamic/gitlab:GroupHook": plainHook("GitLab group hook", "secret", "enableSslVerification"),
  "gitlab:index/projectHook:ProjectHook": plainHook("GitLab project hook", "token", "enableSslVerification"),
  "gitlab:index/groupHook:GroupHook": plainHook("GitLab group hook", "token", "enableSslVerification"),
  "pulumi-nodejs:dynamic/bitbucketserver:Webhook": plainHook("Bitbucket Server webhook", "secret"),
  "pulumi-nodejs:dynamic/bitbucketcloud:Webhook": plainHook("Bitbucket Cloud webhook", "secret"),
};

const RECEIVER = "pulumi-nodejs:dynamic/sourcegraph:Receiver";

/** A validation of the webhook resources only; every other resource passes. */
function forHooks(
  check: (hook: HookShape, props: Props, report: ReportViolation) => void,
): ResourceValidation {
  return (args, report) => {
    const hook = HOOKS[args.type];
    if (hook) check(hook, args.props, report);
  };
}

const isEmpty = (value: unknown) => value === undefined || value === null || value === "";

export const policies: ResourceValidationPolicy[] = [
  {
    name: "webhook-delivers-over-https",
    description:
      "Webhooks deliver to an https:// URL: over plain HTTP, deliveries and their signatures can be read and replayed.",
    enforcementLevel: "mandatory",
    validateResource: forHooks((hook, props, report) => {
      const url = hook.url.read(props);
      if (typeof url === "string" && !/^https:\/\//i.test(url))
        report(
          `${hook.label} delivers to ${url} over plain HTTP: use the receiver's https:// URL (${hook.url.input}), or the relay's public HTTPS URL.`,
        );
    }),
  },
  {
    name: "webhook-verifies-tls",
    description: "Webhooks verify the receiver's TLS certificate.",
    enforcementLevel: "mandatory",
    validateResource: forHooks((hook, props, report) => {
      if (hook.tlsOff?.read(props))
        report(
          `${hook.label} does not verify the receiver's TLS certificate (${hook.tlsOff.input}): turn verification on, and give the receiver a certificate the code host trusts.`,
        );
    }),
  },
  {
    name: "webhook-has-secret",
    description: "Webhooks carry a shared secret, and Sourcegraph receivers check one.",
    enforcementLevel: "mandatory",
    validateResource: [
      forHooks((hook, props, report) => {
        if (isEmpty(hook.secret.read(props)))
          report(
            `${hook.label} has no secret (${hook.secret.input}): anyone who knows the URL can send deliveries Sourcegraph accepts. Set the receiver's secret (SourcegraphWebhooks does).`,
          );
      }),
      (args, report) => {
        if (args.type === RECEIVER && args.props.secret === false)
          report(
            "Sourcegraph receiver has no secret (secret: false), so it accepts unsigned deliveries: omit secret to have one generated. Only Bitbucket Cloud receivers on Sourcegraph older than 5.5 need none; lower this policy's enforcement level for such a stack.",
          );
      },
    ],
  },
  {
    name: "github-webhook-sends-json",
    description: "GitHub webhooks send JSON, the only payload Sourcegraph reads.",
    enforcementLevel: "mandatory",
    validateResource: forHooks((hook, props, report) => {
      if (!hook.contentType) return;
      const type = hook.contentType.read(props);
      if (type !== "json")
        report(
          `${hook.label} sends ${isEmpty(type) ? "form data (GitHub's default)" : String(type)}: Sourcegraph reads JSON only; set ${hook.contentType.input} to "json".`,
        );
    }),
  },
];
