export { createOnceMore } from "./ambiguous";
export { coalesce } from "./coalesce";
export { credentialCandidates, env, withCredentials } from "./credentials";
export { containsUnknown, UNKNOWN } from "./unknown";
export { isHttpUrl } from "./url";
