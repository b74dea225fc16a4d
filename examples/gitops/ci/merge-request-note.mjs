#!/usr/bin/env node
// Posts the review (review/comment.md) on the merge request as a note, or edits the note this token
// posted before, so a merge request holds one review however many times it is pushed.
//
//   node ci/merge-request-note.mjs review/comment.md
//
// GitLab CI sets CI_API_V4_URL, CI_MERGE_REQUEST_PROJECT_ID and CI_MERGE_REQUEST_IID in merge
// request pipelines; SG_WEBHOOKS_NOTE_TOKEN is a project access token with the api scope.
import { readFile } from "node:fs/promises";
import { pathToFileURL } from "node:url";

/** The review note's first line: how the next run finds the note to edit. */
export const MARKER = "<!-- sg-webhooks-review -->";
/** GitLab refuses notes over 1,000,000 characters; a review this long is cut well before. */
export const LIMIT = 100_000;

/** What GitLab's status means for this token, in the words of the fix. */
function hint(status) {
  if (status === 401)
    return ": SG_WEBHOOKS_NOTE_TOKEN is not a valid token (expired or revoked?); create a project access token with the api scope";
  if (status === 403)
    return ": the token may not post notes; give the project access token the api scope and at least the Reporter role";
  if (status === 404) return ": the project or merge request is not visible to the token's project";
  return "";
}

/** The note's text: the marker, then the review, cut at LIMIT. The marker appears only once. */
export function noteBody(review) {
  let text = review.replaceAll(MARKER, "");
  if (text.length > LIMIT)
    text = `${text.slice(0, LIMIT)}\n\n…cut at ${LIMIT} characters: the whole review is the review job's artifact.`;
  return `${MARKER}\n${text}`;
}

/**
 * Creates the review note on merge request `mergeRequest` (its IID) of `project`, or updates the one
 * this token's user wrote before (notes by anyone else are never touched, whatever they hold).
 * Resolves to what was done and the note's ID.
 */
export async function upsertNote({ api, project, mergeRequest, token, review, fetch = globalThis.fetch }) {
  const call = async (method, path, body) => {
    const response = await fetch(`${api}${path}`, {
      method,
      headers: { "PRIVATE-TOKEN": token, "Content-Type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!response.ok)
      throw new Error(`GitLab answered ${response.status} to ${method} ${path}${hint(response.status)}`);
    return response;
  };
  const me = await (await call("GET", "/user")).json();
  const notes = `/projects/${encodeURIComponent(project)}/merge_requests/${encodeURIComponent(mergeRequest)}/notes`;
  let previous;
  for (let page = "1"; page && previous === undefined; ) {
    const response = await call("GET", `${notes}?per_page=100&page=${page}`);
    const list = await response.json();
    previous = list.find((note) => note.author?.id === me.id && note.body?.startsWith(MARKER));
    page = response.headers.get("x-next-page");
  }
  const body = noteBody(review);
  if (previous !== undefined) {
    await call("PUT", `${notes}/${previous.id}`, { body });
    return { action: "updated", id: previous.id };
  }
  const created = await (await call("POST", notes, { body })).json();
  return { action: "created", id: created.id };
}

async function main() {
  const file = process.argv[2];
  const env = process.env;
  const needed = [
    "CI_API_V4_URL",
    "CI_MERGE_REQUEST_PROJECT_ID",
    "CI_MERGE_REQUEST_IID",
    "SG_WEBHOOKS_NOTE_TOKEN",
  ];
  const missing = needed.filter((name) => !env[name]);
  if (file === undefined || missing.length > 0) {
    console.error(
      file === undefined
        ? "usage: node ci/merge-request-note.mjs REVIEW_FILE"
        : `merge-request-note: ${missing.join(", ")} not set: run it in a merge request pipeline, with the project access token in SG_WEBHOOKS_NOTE_TOKEN`,
    );
    process.exit(2);
  }
  let review;
  try {
    review = await readFile(file, "utf8");
  } catch {
    console.error(`merge-request-note: no review at ${file}: the review job did not write one (see its log)`);
    process.exit(2);
  }
  try {
    const result = await upsertNote({
      api: env.CI_API_V4_URL,
      project: env.CI_MERGE_REQUEST_PROJECT_ID,
      mergeRequest: env.CI_MERGE_REQUEST_IID,
      token: env.SG_WEBHOOKS_NOTE_TOKEN,
      review,
    });
    console.log(`merge-request-note: ${result.action} note ${result.id} on !${env.CI_MERGE_REQUEST_IID}`);
  } catch (err) {
    // Messages name the method, path and status only: never the token or a response body.
    console.error(`merge-request-note: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
