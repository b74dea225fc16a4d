// Sourcegraph's GitLab handler: the token first (when the receiver has a secret), then the body's
// `object_kind`. It ignores the X-Gitlab-Event header.
import { isForwardedEvent } from "./events";
import { header } from "./headers";
import { badSignature, refuse, unknownGitLabKind } from "./messages";
import { isObjectOrNull, jsonTypeName, parseJson } from "./parse-json";
import type { DeliveryInput, Verdict } from "./types";
import { verifyToken } from "./verify-token";

export function verifyGitLab({ headers, body, secrets }: DeliveryInput): Verdict {
  if (secrets.length > 0 && !verifyToken(header(headers, "x-gitlab-token"), secrets)) return badSignature();
  const parsed = parseJson(body);
  if (!parsed.ok) return refuse(500, `determining object kind: ${parsed.message}`, "malformed_body");
  const value = parsed.value;
  if (!isObjectOrNull(value)) {
    return refuse(
      500,
      `determining object kind: json: cannot unmarshal ${jsonTypeName(value)} into Go value of type struct`,
      "malformed_body",
    );
  }
  const raw = value?.object_kind ?? "";
  if (typeof raw !== "string") {
    return refuse(
      500,
      `determining object kind: json: cannot unmarshal ${jsonTypeName(raw)} into Go struct field .object_kind of type string`,
      "malformed_body",
    );
  }
  // Sourcegraph answers 204 to a kind it does not handle, so GitLab does not retry it.
  if (!isForwardedEvent("GITLAB", raw)) return refuse(204, unknownGitLabKind(raw), "unknown_event");
  return { ok: true, event: raw };
}
