// Reads the parts of Markdown the documentation tests check: fenced code blocks, relative links
// and the anchors GitHub gives headings. Small on purpose: the pages are ours, not arbitrary Markdown.
import { readdirSync, readFileSync } from "node:fs";
import * as path from "node:path";

export const ROOT = path.resolve(__dirname, "../..");

/** README.md, every page under docs/, each example's README and the tests' index, as paths relative to ROOT. */
export function documentationFiles(): string[] {
  const docs = readdirSync(path.join(ROOT, "docs"))
    .filter((f) => f.endsWith(".md"))
    .map((f) => `docs/${f}`);
  const examples = readdirSync(path.join(ROOT, "examples"), { withFileTypes: true })
    .filter((d) => d.isDirectory() && !d.name.startsWith("."))
    .map((d) => `examples/${d.name}/README.md`);
  return ["README.md", ...docs.sort(), ...examples.sort(), "test/README.md"];
}

export interface CodeBlock {
  file: string;
  /** 1-based line of the block's first content line. */
  line: number;
  /** The first word of the info string (`ts`, `bash`, …), "" when none. */
  lang: string;
  /** The other words of the info string, such as `fragment`. */
  attributes: string[];
  content: string;
}

const FENCE = /^( {0,3})(`{3,}|~{3,})\s*([^`]*)$/;

export function codeBlocks(file: string, text: string): CodeBlock[] {
  const blocks: CodeBlock[] = [];
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const open = FENCE.exec(lines[i]!);
    if (!open) continue;
    const [, indent, fence, info] = open;
    const body: string[] = [];
    let j = i + 1;
    for (; j < lines.length; j++) {
      const close = FENCE.exec(lines[j]!);
      if (close && close[2]![0] === fence![0] && close[2]!.length >= fence!.length && close[3]!.trim() === "")
        break;
      body.push(lines[j]!.startsWith(indent!) ? lines[j]!.slice(indent!.length) : lines[j]!);
    }
    const [lang = "", ...attributes] = info!.trim().split(/\s+/).filter(Boolean);
    blocks.push({ file, line: i + 2, lang: lang.toLowerCase(), attributes, content: body.join("\n") });
    i = j;
  }
  return blocks;
}

/** Each line of the page, or undefined for the lines of fenced blocks and their fences. */
function outsideFences(text: string): (string | undefined)[] {
  let fence: string | undefined;
  return text.split("\n").map((line) => {
    const m = FENCE.exec(line);
    if (m && (fence === undefined || (m[2]![0] === fence[0] && m[2]!.length >= fence.length))) {
      fence = fence === undefined ? m[2] : undefined;
      return undefined;
    }
    return fence === undefined ? line : undefined;
  });
}

export interface Link {
  file: string;
  line: number;
  target: string;
}

/** Inline links and images whose target is not a URL with a scheme: files and anchors of this repository. */
export function relativeLinks(file: string, text: string): Link[] {
  const links: Link[] = [];
  outsideFences(text).forEach((line, i) => {
    // Inline code is blanked out: a link written in code is not a link.
    const visible = line?.replace(/`+[^`]*`+/g, (code) => " ".repeat(code.length)) ?? "";
    for (const m of visible.matchAll(/!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) {
      const target = m[1]!;
      if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue;
      links.push({ file, line: i + 1, target });
    }
  });
  return links;
}

/** The anchors GitHub generates for a page's headings (`## The relay` → `the-relay`), duplicates numbered. */
export function headingAnchors(text: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  for (const line of outsideFences(text)) {
    const heading = line === undefined ? null : /^ {0,3}#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (!heading) continue;
    const plain = heading[1]!
      .replace(/!?\[([^\]]*)\]\([^)]*\)/g, "$1")
      .replace(/[`*]/g, "")
      .trim()
      .toLowerCase();
    const base = plain.replace(/[^\p{L}\p{M}\p{N}\p{Pc}\- ]/gu, "").replace(/ /g, "-");
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    anchors.add(n === 0 ? base : `${base}-${n}`);
  }
  return anchors;
}

export function read(file: string): string {
  return readFileSync(path.join(ROOT, file), "utf8");
}
