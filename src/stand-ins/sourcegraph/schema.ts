// Sourcegraph's schema for the stand-in: the SDL files beside this module, built into an
// executable schema.
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { buildASTSchema, type DocumentNode, type GraphQLSchema, Kind, parse, visit } from "graphql";
import { packageRoot } from "../../package-root";

/**
 * The SDL files. They sit beside this module's TypeScript source, and the package ships them there
 * (package.json "files"); the build does not copy them, so both the source and the build read them
 * from the package root's src/stand-ins/sourcegraph.
 */
export function sdlPaths(): string[] {
  const dir = path.join(packageRoot(__dirname), "src", "stand-ins", "sourcegraph");
  return [path.join(dir, "webhooks.graphql"), path.join(dir, "webhooks-stubs.graphql")];
}

/**
 * Sourcegraph's SDL excerpt plus its stub types, as an executable schema. `omitFields` (such as
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
