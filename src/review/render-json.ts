// `sg-webhooks diff --format json`: exactly the pinned shape, `{ "changes": [{ "connection", "kind",
// "resource", "detail" }] }`, for pipelines that act on changes.
import type { Change, ReviewedChange } from "./change";

export function renderJson(changes: readonly ReviewedChange[]): string {
  const out: { changes: Change[] } = {
    changes: changes.map(({ connection, kind, resource, detail }) => ({
      connection,
      kind,
      resource,
      detail,
    })),
  };
  return `${JSON.stringify(out, null, 2)}\n`;
}
