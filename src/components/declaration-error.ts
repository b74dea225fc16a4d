// Errors as data: each problem of a SourcegraphWebhooks declaration carries the path of the
// argument at fault, so a caller that names arguments otherwise (the root program names them as
// config keys) builds its own message from `path` and `problem` instead of rewording ours.

/** One problem of a declaration: where it is, and what is wrong there and what is valid. */
export class DeclarationError extends Error {
  override readonly name = "DeclarationError";

  constructor(
    /** The argument at fault as written in the declaration, such as `gitlab[0].projects`; "" for the declaration as a whole. */
    readonly path: string,
    /** What is wrong and what is valid, without the path. */
    readonly problem: string,
  ) {
    super(path ? `${path}: ${problem}` : `SourcegraphWebhooks: ${problem}`);
  }
}

/**
 * Every problem of a declaration, found before anything is registered. With one problem its
 * message is that problem's; with more, it lists them all, one a line.
 */
export class InvalidDeclarationError extends AggregateError {
  override readonly name = "InvalidDeclarationError";

  constructor(readonly problems: readonly DeclarationError[]) {
    super(
      problems,
      problems.length === 1
        ? problems[0]!.message
        : `SourcegraphWebhooks: ${problems.length} problems in the declaration:\n  ${problems.map((p) => p.message).join("\n  ")}`,
    );
  }
}
