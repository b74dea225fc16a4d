// Proves every relative link of the documentation resolves, and README stays a first page.
// Every link in README.md, docs/, the examples' READMEs and test/README.md points at a file of this
// repository, and every #anchor at a heading of the page it names; README stays under 300 lines.
import { existsSync, statSync } from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { documentationFiles, headingAnchors, type Link, ROOT, read, relativeLinks } from "./markdown";

/** Why a link does not resolve, or undefined when it does. */
function brokenBecause(link: Link): string | undefined {
  const [target = "", anchor] = link.target.split("#");
  const file =
    target === "" ? link.file : path.posix.normalize(path.posix.join(path.posix.dirname(link.file), target));
  if (file.startsWith("..")) return `${file} is outside the repository`;
  if (!existsSync(path.join(ROOT, file))) return `${file} does not exist`;
  if (anchor === undefined || anchor === "") return undefined;
  if (!file.endsWith(".md") || statSync(path.join(ROOT, file)).isDirectory()) return undefined;
  return headingAnchors(read(file)).has(decodeURIComponent(anchor))
    ? undefined
    : `${file} has no heading #${anchor}`;
}

describe("links in README.md, docs/ and the examples' READMEs", () => {
  it("every relative link resolves to a file, and every anchor to a heading of that page", () => {
    const links = documentationFiles().flatMap((file) => relativeLinks(file, read(file)));
    expect(links.length).toBeGreaterThan(50);
    const broken = links.flatMap((l) => {
      const why = brokenBecause(l);
      return why ? [`${l.file}:${l.line}: (${l.target}) ${why}`] : [];
    });
    expect(broken).toEqual([]);
  });

  it("README.md is a first page: under 300 lines, with the rest in docs/", () => {
    expect(read("README.md").split("\n").length).toBeLessThan(300);
    expect(read("README.md")).toContain("(docs/README.md)");
  });

  it("the check finds a missing file, a missing anchor and a link out of the repository", () => {
    const at = (target: string): Link => ({ file: "docs/README.md", line: 1, target });
    expect(brokenBecause(at("relay.md#the-dead-letter-store"))).toBeUndefined();
    expect(brokenBecause(at("#declaring-webhooks"))).toBeUndefined();
    expect(brokenBecause(at("../examples/gitlab-projects/README.md"))).toBeUndefined();
    expect(brokenBecause(at("relay.mdx"))).toMatch(/does not exist/);
    expect(brokenBecause(at("relay.md#the-dead-letter-shop"))).toMatch(/has no heading/);
    expect(brokenBecause(at("../../etc/passwd"))).toMatch(/outside the repository/);
  });

  it("anchors are GitHub's: lower case, punctuation dropped, spaces as hyphens, repeats numbered", () => {
    const anchors = headingAnchors(
      "# The `sg-webhooks` command\n## Bitbucket Server / Data Center (`x[]`)\n## Notes\n```bash\n# not a heading\n```\n## Notes\n",
    );
    expect([...anchors]).toEqual([
      "the-sg-webhooks-command",
      "bitbucket-server--data-center-x",
      "notes",
      "notes-1",
    ]);
  });
});
