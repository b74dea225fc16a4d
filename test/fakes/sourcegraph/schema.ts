import { existsSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { buildASTSchema, type DocumentNode, type GraphQLSchema, Kind, parse, visit } from "graphql";

/**
 * The repository root: the nearest folder above this file that holds package.json. The same walk
 * works from the TypeScript source (test/fakes/sourcegraph) and from dist/test/fakes/sourcegraph.
 */
export function repoRoot(from: string = __dirname): string {
  let dir = from;
  for (;;) {
    if (existsSync(path.join(dir, "package.json")) && existsSync(path.join(dir, "test", "fixtures")))
      return dir;
    const up = path.dirname(dir);
    if (up === dir) {
      throw new Error(
        `The Sourcegraph fake loads Sourcegraph's SDL from test/fixtures/sourcegraph/*.graphql, and no folder above ${from} holds package.json and test/fixtures (run it from a checkout of the repository)`,
      );
    }
    dir = up;
  }
}

export function sdlPaths(): string[] {
  const dir = path.join(repoRoot(), "test", "fixtures", "sourcegraph");
  return [path.join(dir, "webhooks.graphql"), path.join(dir, "webhooks-stubs.graphql")];
}

/**
 * Sourcegraph's SDL excerpt plus the stand-ins, as an executable schema. `omitFields` (such as
 * `"Webhook.secret"`) removes fields, to show that a query the real schema would not accept fails.
 */
export function loadSchema(omitFields: readonly string[] = []): GraphQLSchema {
  const text = sdlPaths()
    .map((p) => readFileSync(p, "utf8"))
    .join("\n");
  let doc: DocumentNode = parse(text);
  if (omitFields.length > 0) {
    const omit = new Set(omitFields);
    doc = visit(doc, {
      [Kind.OBJECT_TYPE_DEFINITION]: (node) => ({
        ...node,
        fields: node.fields?.filter((f) => !omit.has(`${node.name.value}.${f.name.value}`)),
      }),
      [Kind.OBJECT_TYPE_EXTENSION]: (node) => ({
        ...node,
        fields: node.fields?.filter((f) => !omit.has(`${node.name.value}.${f.name.value}`)),
      }),
    });
  }
  return buildASTSchema(doc);
}
