/**
 * The command line or an input file is wrong (a missing flag, a file that cannot be read or parsed):
 * the commands exit 2, as for any usage error.
 */
export class UsageError extends Error {
  override readonly name = "UsageError";
}
