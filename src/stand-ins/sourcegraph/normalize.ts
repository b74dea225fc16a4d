// Sourcegraph's extsvc.NewCodeHostBaseURL: Go's url.Parse, then NormalizeBaseURL (lower-case the
// host, append "/" to the path). Nothing else changes: a default port or the path's case stay.
// Written independently of providers/sourcegraph so the fake checks the provider, not itself.

const SCHEME = /^([A-Za-z][A-Za-z0-9+.-]*):/;

export function goNormalizeBaseUrl(raw: string): { ok: true; value: string } | { ok: false; error: string } {
  const fail = (why: string) => ({ ok: false as const, error: `parse ${JSON.stringify(raw)}: ${why}` });
  // biome-ignore lint/suspicious/noControlCharactersInRegex: Go's url.Parse refuses control characters.
  if (/[\x00-\x1f\x7f]/.test(raw)) return fail("net/url: invalid control character in URL");
  if (raw.startsWith(":")) return fail("missing protocol scheme");
  const hash = raw.indexOf("#");
  const fragment = hash >= 0 ? raw.slice(hash) : "";
  let rest = hash >= 0 ? raw.slice(0, hash) : raw;
  const q = rest.indexOf("?");
  const query = q >= 0 ? rest.slice(q) : "";
  rest = q >= 0 ? rest.slice(0, q) : rest;

  let scheme = "";
  const m = SCHEME.exec(rest);
  if (m) {
    scheme = `${m[1]!.toLowerCase()}:`;
    rest = rest.slice(m[0].length);
  }
  let authority = "";
  if (rest.startsWith("//")) {
    const slash = rest.indexOf("/", 2);
    authority = slash >= 0 ? rest.slice(2, slash) : rest.slice(2);
    rest = slash >= 0 ? rest.slice(slash) : "";
    const at = authority.lastIndexOf("@");
    const userinfo = at >= 0 ? authority.slice(0, at + 1) : "";
    const host = at >= 0 ? authority.slice(at + 1) : authority;
    if (host.startsWith("[") && !host.includes("]")) return fail("missing ']' in host");
    authority = `//${userinfo}${host.toLowerCase()}`;
  } else if (scheme && !rest.startsWith("/") && rest !== "") {
    // An opaque URL such as "mailto:x": Go keeps it as is and NormalizeBaseURL appends to an empty path.
    return { ok: true, value: `${scheme}${rest}/${query}${fragment}` };
  }
  if (/%(?![0-9A-Fa-f]{2})/.test(rest))
    return fail(`invalid URL escape ${JSON.stringify(rest.slice(rest.indexOf("%"), rest.indexOf("%") + 3))}`);
  const path = rest.endsWith("/") ? rest : `${rest}/`;
  return { ok: true, value: `${scheme}${authority}${path}${query}${fragment}` };
}
