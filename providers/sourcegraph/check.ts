// Validation with exact messages naming the input and what is valid. Values not known yet
// (preview) pass: they are checked again when known.
import {
  type CheckResult,
  CODE_HOST_KINDS,
  env,
  failureList,
  isCodeHostKind,
  isHttpUrl,
  type Props,
  show,
  UNKNOWN,
} from "../shared";
import { normalizeUrn } from "./urn";

const known = (v: unknown) => v !== UNKNOWN;

export const MESSAGES = {
  kind: (v: unknown) =>
    `codeHostKind must be one of ${CODE_HOST_KINDS.join(", ")} (upper case, as Sourcegraph spells them); got ${show(v)}`,
  urn: (v: unknown) =>
    `codeHostUrn must be the absolute http(s) URL of the code host, such as https://github.com or https://gitlab.example.com; got ${show(v)}`,
  name: (v: unknown) =>
    `webhookName must be a non-empty string (the receiver's name in Sourcegraph; it defaults to <project>-<stack>-<resource name>); got ${show(v)}`,
  secretEmpty:
    'secret must not be empty: Sourcegraph fails on "". Give a secret, leave it out to have one generated, or set it to false for none',
  secretType: (v: unknown) => `secret must be a string or false; got ${show(v)}`,
  adopt: (v: unknown) => `adopt must be true or false; got ${show(v)}`,
  endpoint: (v: unknown) =>
    `sourcegraph.endpoint must be the absolute http(s) URL of the Sourcegraph instance, such as https://sourcegraph.example.com; got ${show(v)}`,
  token:
    "sourcegraph.accessToken must not be empty: give a site admin's access token, or leave it out to use SRC_ACCESS_TOKEN",
  noEndpoint:
    "No Sourcegraph endpoint: set sourcegraph.endpoint or the SRC_ENDPOINT environment variable to the instance URL, such as https://sourcegraph.example.com",
} as const;

export function check(news: Props): CheckResult {
  const { failures, fail } = failureList();
  const inputs: Props = {};

  const kind = news.codeHostKind;
  if (known(kind) && !isCodeHostKind(kind)) {
    fail("codeHostKind", MESSAGES.kind(kind));
  }
  inputs.codeHostKind = kind;

  const urn = news.codeHostUrn;
  if (!known(urn)) inputs.codeHostUrn = urn;
  else if (!isHttpUrl(urn)) {
    fail("codeHostUrn", MESSAGES.urn(urn));
    inputs.codeHostUrn = urn;
  } else inputs.codeHostUrn = normalizeUrn(urn);

  const name = news.webhookName;
  if (known(name) && !(typeof name === "string" && name.trim() !== ""))
    fail("webhookName", MESSAGES.name(name));
  inputs.webhookName = name;

  const secret = news.secret;
  if (secret !== undefined && secret !== null && known(secret)) {
    if (secret === "") fail("secret", MESSAGES.secretEmpty);
    else if (typeof secret !== "string" && secret !== false) fail("secret", MESSAGES.secretType(secret));
  }
  if (secret !== undefined && secret !== null) inputs.secret = secret;

  const adopt = news.adopt;
  if (adopt !== undefined && adopt !== null && known(adopt) && typeof adopt !== "boolean") {
    fail("adopt", MESSAGES.adopt(adopt));
  }
  if (adopt !== undefined && adopt !== null) inputs.adopt = adopt;

  const sg = news.sourcegraph;
  if (sg !== undefined && sg !== null) {
    if (!known(sg)) inputs.sourcegraph = sg;
    else if (typeof sg === "object") {
      const { endpoint, accessToken } = sg as Props;
      const out: Props = {};
      if (endpoint !== undefined && endpoint !== null) {
        if (known(endpoint) && !isHttpUrl(endpoint)) fail("sourcegraph", MESSAGES.endpoint(endpoint));
        out.endpoint = endpoint;
      }
      if (accessToken !== undefined && accessToken !== null) {
        if (known(accessToken) && !(typeof accessToken === "string" && accessToken.trim() !== "")) {
          fail("sourcegraph", MESSAGES.token);
        }
        out.accessToken = accessToken;
      }
      if (Object.keys(out).length > 0) inputs.sourcegraph = out;
    }
  }
  const given = (inputs.sourcegraph as Props | undefined)?.endpoint;
  if (inputs.sourcegraph !== UNKNOWN && given === undefined && !env("SRC_ENDPOINT")) {
    fail("sourcegraph", MESSAGES.noEndpoint);
  }
  return { inputs, failures };
}
