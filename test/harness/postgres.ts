// Test files that need PostgreSQL: one server per file (or describe block), started in beforeAll and
// stopped in afterAll (postgres-server.mjs). Never skipped silently: SG_WEBHOOKS_SKIP_POSTGRES=1
// skips them and says so; without it, no PostgreSQL fails them with how to get one.
//
//   describePostgres("the PostgreSQL store", (pg) => {
//     it("…", async () => { const url = await pg.database(); … pg.server.restart() … });
//   });
import { relative } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect } from "vitest";
import {
  type PostgresServer,
  postgresSkipped,
  type StartPostgresOptions,
  startPostgres,
} from "./postgres-server.mjs";

export type { PostgresServer, StartPostgresOptions } from "./postgres-server.mjs";

const SKIP_NOTE = "PostgreSQL tests skipped: SG_WEBHOOKS_SKIP_POSTGRES=1 is set (unset it to run them).";
let told = false;

function tellSkipped(): void {
  if (told) return;
  told = true;
  console.warn(SKIP_NOTE);
}

/** The running test file, relative to the checkout: names the server in the starts log. */
export function testFile(): string {
  return relative(process.cwd(), expect.getState().testPath ?? "");
}

/** The server of the enclosing block; read it inside tests and hooks, not while they are declared. */
export interface PostgresFixture {
  readonly server: PostgresServer;
  /** `server.database(name)`: a fresh database's URL. */
  database(name?: string): Promise<string>;
}

/**
 * Starts a server for the enclosing describe block (or file). With SG_WEBHOOKS_SKIP_POSTGRES=1 the
 * block's tests are skipped instead, with one line that says why.
 */
export function usePostgres(options: StartPostgresOptions = {}): PostgresFixture {
  let server: PostgresServer | undefined;
  if (postgresSkipped()) {
    tellSkipped();
    beforeEach((ctx) => ctx.skip(SKIP_NOTE));
  } else {
    beforeAll(async () => {
      server = await startPostgres({ label: testFile(), ...options });
    });
    afterAll(async () => {
      await server?.stop();
    });
  }
  const started = (): PostgresServer => {
    if (!server)
      throw new Error("the PostgreSQL server is started in beforeAll: use it inside tests and hooks");
    return server;
  };
  return {
    get server() {
      return started();
    },
    database: (name) => started().database(name),
  };
}

/** `describe(name, …)` with a server for the block (see usePostgres); skipped on purpose only. */
export function describePostgres(
  name: string,
  fn: (pg: PostgresFixture) => void,
  options: StartPostgresOptions = {},
): void {
  if (postgresSkipped()) {
    tellSkipped();
    describe.skip(name, () => fn(usePostgres(options)));
    return;
  }
  describe(name, () => fn(usePostgres(options)));
}
