export { createOnceMore } from "./ambiguous";
export { credentialCandidates, env, withCredentials } from "./credentials";
export { containsUnknown, UNKNOWN } from "./unknown";
export { isHttpUrl } from "./url";
