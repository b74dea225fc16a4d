// Type-checks the TypeScript blocks of the documentation as one program against the package's own
// source: `pulumi-sourcegraph-webhooks` (and its `/ingest` and `/providers/*` entry points) map to
// src/ and providers/, as a user's program sees them once the package is installed.
import * as path from "node:path";
import ts from "typescript";
import type { CodeBlock } from "./markdown";
import { ROOT } from "./markdown";

export const OPTIONS: ts.CompilerOptions = {
  // As the examples' tsconfig.json: a CommonJS Pulumi program compiled with nodenext.
  target: ts.ScriptTarget.ES2022,
  module: ts.ModuleKind.NodeNext,
  moduleResolution: ts.ModuleResolutionKind.NodeNext,
  strict: true,
  esModuleInterop: true,
  skipLibCheck: true,
  noEmit: true,
  types: ["node"],
  typeRoots: [path.join(ROOT, "node_modules/@types")],
  paths: {
    "pulumi-sourcegraph-webhooks": [path.join(ROOT, "src/index.ts")],
    "pulumi-sourcegraph-webhooks/ingest": [path.join(ROOT, "src/ingest/index.ts")],
    "pulumi-sourcegraph-webhooks/providers/*": [path.join(ROOT, "providers/*/index.ts")],
  },
};

export interface BlockDiagnostic {
  block: CodeBlock;
  /** 1-based line in the Markdown file. */
  line: number;
  message: string;
}

/**
 * The blocks live as files that exist only in memory, beside package.json (so they are CommonJS
 * modules and resolve node_modules as a program in this repository would). Each becomes a module of
 * its own, so two blocks may declare the same names. Only the blocks' own diagnostics count: the
 * package's source is checked by `npm run typecheck`.
 */
export function typecheckBlocks(blocks: CodeBlock[]): BlockDiagnostic[] {
  const files = new Map<string, CodeBlock>();
  const texts = new Map<string, string>();
  blocks.forEach((block, i) => {
    const name = path.join(
      ROOT,
      `.docs-block-${i}-${block.file.replace(/[^A-Za-z0-9]+/g, "-")}-${block.line}.ts`,
    );
    files.set(name, block);
    texts.set(name, `${block.content}\nexport {};\n`);
  });
  const host = ts.createCompilerHost(OPTIONS, true);
  const { fileExists, readFile, getSourceFile } = host;
  host.fileExists = (f) => texts.has(f) || fileExists.call(host, f);
  host.readFile = (f) => texts.get(f) ?? readFile.call(host, f);
  host.getSourceFile = (f, lang, onError, create) => {
    const text = texts.get(f);
    return text !== undefined
      ? ts.createSourceFile(f, text, lang, true, ts.ScriptKind.TS)
      : getSourceFile.call(host, f, lang, onError, create);
  };
  const program = ts.createProgram([...files.keys()], OPTIONS, host);
  const global = [...program.getOptionsDiagnostics(), ...program.getGlobalDiagnostics()];
  if (global.length > 0)
    throw new Error(global.map((d) => ts.flattenDiagnosticMessageText(d.messageText, "\n")).join("\n"));
  const out: BlockDiagnostic[] = [];
  for (const [name, block] of files) {
    const sf = program.getSourceFile(name)!;
    for (const d of [...program.getSyntacticDiagnostics(sf), ...program.getSemanticDiagnostics(sf)]) {
      const at = d.start === undefined ? 0 : sf.getLineAndCharacterOfPosition(d.start).line;
      out.push({
        block,
        line: block.line + at,
        message: ts.flattenDiagnosticMessageText(d.messageText, "\n"),
      });
    }
  }
  return out;
}
