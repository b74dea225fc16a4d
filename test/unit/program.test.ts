// Proves the root program's config schema is tied to SourcegraphWebhooksArgs at compile time.
// An argument, or a field of a connection, without its config key fails to compile, naming the key.
import * as path from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";
import { OPTIONS } from "../docs/typecheck";

const ROOT = path.resolve(__dirname, "../..");
const CONFIG = path.join(ROOT, "src/program/config.ts");

/**
 * The diagnostics of src/program/config.ts in a program that also holds `augmentation`, a file that
 * exists only in memory and adds to the component's argument interfaces (declaration merging), as a
 * new argument written in args.ts would.
 */
function configDiagnostics(augmentation: string): string[] {
  const file = path.join(ROOT, ".config-tie-check.ts");
  const text = `${augmentation}\nexport {};\n`;
  const host = ts.createCompilerHost(OPTIONS, true);
  const { fileExists, readFile, getSourceFile } = host;
  host.fileExists = (f) => f === file || fileExists.call(host, f);
  host.readFile = (f) => (f === file ? text : readFile.call(host, f));
  host.getSourceFile = (f, lang, onError, create) =>
    f === file
      ? ts.createSourceFile(f, text, lang, true, ts.ScriptKind.TS)
      : getSourceFile.call(host, f, lang, onError, create);
  const program = ts.createProgram([file, CONFIG], OPTIONS, host);
  const own = program.getSemanticDiagnostics(program.getSourceFile(file));
  if (own.length > 0)
    throw new Error(own.map((d) => ts.flattenDiagnosticMessageText(d.messageText, " ")).join("\n"));
  return program
    .getSemanticDiagnostics(program.getSourceFile(CONFIG))
    .map((d) => ts.flattenDiagnosticMessageText(d.messageText, " "));
}

describe("the root program's config schema is tied to SourcegraphWebhooksArgs", () => {
  // One program for both cases: type-checking the arguments' module graph (@pulumi/github's types)
  // takes seconds. That the schema compiles as it is, `npm run typecheck` proves.
  it("fails to compile when an argument has no config key, or a connection's field no config field", () => {
    const diagnostics = configDiagnostics(
      [
        'declare module "./src/components/args" {',
        "  interface SourcegraphWebhooksArgs { gitea?: string[] }",
        "  interface GitLabConnectionArgs { pushEventsBranchFilter?: string }",
        "}",
      ].join("\n"),
    );
    expect(diagnostics).toHaveLength(2);
    expect(diagnostics[0]).toMatch(/Property 'gitea' is missing/);
    expect(diagnostics[1]).toBe(`Type '"gitlab"' does not satisfy the constraint 'never'.`);
  }, 60_000);
});
