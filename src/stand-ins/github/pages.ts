// The GitHub stand-in's lists: hooks by page number, deliveries newest first by cursor. Both give
// the next page in the `Link` header, as GitHub does ("Refer to the link header for the next and
// previous page cursors"); `per_page` is at most 100 and 30 by default.
import { type FakeRequest, type FakeResponse, json } from "../server";
import { type GitHubDeliveryRecord, renderDeliveryItem } from "./deliver";
import { type GitHubHookRecord, renderHook, validationFailed } from "./model";

export const DOCS = "https://docs.github.com/rest";

function perPageOf(req: FakeRequest): number {
  return Math.min(100, Math.max(1, Number(req.query.get("per_page") ?? 30) || 30));
}

/** `path` is the route below the API base, for the Link header. */
export function hooksPage(
  req: FakeRequest,
  all: GitHubHookRecord[],
  apiBase: string,
  path: string,
): FakeResponse {
  const perPage = perPageOf(req);
  const page = Math.max(1, Number(req.query.get("page") ?? 1) || 1);
  const slice = all.slice((page - 1) * perPage, page * perPage);
  const headers: Record<string, string> = {};
  if (page * perPage < all.length)
    headers.link = `<${apiBase}${path}?per_page=${perPage}&page=${page + 1}>; rel="next"`;
  return json(
    200,
    slice.map((h) => renderHook(h, apiBase)),
    headers,
  );
}

/**
 * One hook's deliveries, newest first. The cursor (`v1_<id>`) names the first delivery of the
 * page; `status` is `success` (a status code 200-399) or `failure` (400-599), as GitHub filters.
 */
export function deliveriesPage(
  req: FakeRequest,
  mine: GitHubDeliveryRecord[],
  apiBase: string,
  path: string,
): FakeResponse {
  const perPage = perPageOf(req);
  const cursor = req.query.get("cursor");
  let upTo = Number.POSITIVE_INFINITY;
  if (cursor !== null) {
    const m = /^v1_(\d+)$/.exec(cursor);
    if (!m) return json(400, { message: "Invalid cursor", documentation_url: DOCS, status: "400" });
    upTo = Number(m[1]);
  }
  const status = req.query.get("status");
  if (status !== null && status !== "success" && status !== "failure")
    return json(422, validationFailed("status must be success or failure"));
  const inRange = (code: number) =>
    status === "success" ? code >= 200 && code < 400 : code >= 400 && code < 600;
  const listed = mine
    .filter((d) => d.id <= upTo && (status === null || inRange(d.statusCode)))
    .sort((a, b) => b.id - a.id);
  const next = listed[perPage];
  const headers: Record<string, string> = {};
  if (next) {
    const q = new URLSearchParams({ per_page: String(perPage), cursor: `v1_${next.id}` });
    if (status !== null) q.set("status", status);
    headers.link = `<${apiBase}${path}?${q.toString()}>; rel="next"`;
  }
  return json(200, listed.slice(0, perPage).map(renderDeliveryItem), headers);
}
