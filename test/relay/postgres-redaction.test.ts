// Proves the database URL's password appears in no error, message, log line or property the PostgreSQL store produces: refused logins, unreachable servers, malformed URLs, TLS the URL asks for, lost connections and refused statements.
import { readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { inspect } from "node:util";
import pg from "pg";
import { beforeAll, expect, it } from "vitest";
import { openPostgresStore } from "../../src/relay/postgres";
import { describePostgres } from "../harness/postgres";
import { captureLogger, waitFor } from "./helpers";

/** A password with the characters URLs encode, so every form of it is looked for. */
const PASSWORD = "Sup3r/S3cret:p@ss#word%2Fzz";
const WRONG = "Wr0ng/Passw0rd:x@y#Guess";
const ROLE = "relay_pw";

/** Every form the text of an error takes when something prints or serializes it. */
function everything(err: unknown): string {
  const e = err as Error;
  return [
    String(e),
    e.message,
    e.stack ?? "",
    inspect(e, { depth: 10, showHidden: true }),
    JSON.stringify(e, Object.getOwnPropertyNames(e)),
  ].join("\n");
}

/** The password in each form a message could carry it: as is, percent-encoded once and twice. */
function forms(password: string): string[] {
  return [password, encodeURIComponent(password), encodeURIComponent(encodeURIComponent(password))];
}

function expectNoPassword(text: string, password = PASSWORD): void {
  for (const form of forms(password)) expect(text).not.toContain(form);
  // A fragment long enough to be the password's own.
  expect(text).not.toContain("S3cret");
  expect(text).not.toContain("Passw0rd");
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const withPassword = (url: string, password: string) => {
  const u = new URL(url);
  return `postgres://${ROLE}:${encodeURIComponent(password)}@${u.host}${u.pathname}`;
};

describePostgres("the database URL's password", (db) => {
  let superuserUrl = "";
  beforeAll(async () => {
    superuserUrl = await db.database();
    const admin = new pg.Client({ connectionString: superuserUrl });
    await admin.connect();
    try {
      await admin.query(`CREATE ROLE ${ROLE} LOGIN PASSWORD '${PASSWORD}'`);
      await admin.query(`ALTER DATABASE ${new URL(superuserUrl).pathname.slice(1)} OWNER TO ${ROLE}`);
      // The tests' server trusts loopback: this role must give its password.
      const hba = join(db.server.dir, "data", "pg_hba.conf");
      writeFileSync(hba, `host all ${ROLE} 127.0.0.1/32 scram-sha-256\n${readFileSync(hba, "utf8")}`);
      await admin.query("SELECT pg_reload_conf()");
    } finally {
      await admin.end();
    }
  });

  it("logs in with it (SCRAM), and shows the URL without it", async () => {
    const { logger, lines } = captureLogger();
    const store = await openPostgresStore({ connectionString: withPassword(superuserUrl, PASSWORD), logger });
    expect(store.target).toMatch(new RegExp(`^postgres://${ROLE}:\\[redacted\\]@127\\.0\\.0\\.1:\\d+/`));
    await store.close();
    expectNoPassword(lines.join(""));
  });

  it("is in no error when the login is refused, in the URL's user part or as a password= parameter", async () => {
    const wrong = withPassword(superuserUrl, WRONG);
    const u = new URL(superuserUrl);
    const asParameter = `postgres://${ROLE}@${u.host}${u.pathname}?password=${encodeURIComponent(WRONG)}`;
    for (const connectionString of [wrong, asParameter]) {
      const err = await openPostgresStore({ connectionString }).catch((e: unknown) => e);
      expect((err as Error).message).toMatch(/password authentication failed for user "relay_pw"/);
      expectNoPassword(everything(err), WRONG);
    }
  });

  it("is in no error when nothing listens, or when the URL cannot be read", async () => {
    const port = await freePort();
    const unreachable = await openPostgresStore({
      connectionString: `postgres://${ROLE}:${encodeURIComponent(PASSWORD)}@127.0.0.1:${port}/sg`,
    }).catch((e: unknown) => e);
    expect((unreachable as Error).message).toMatch(/is unavailable .*ECONNREFUSED/);
    expectNoPassword(everything(unreachable));

    for (const bad of [
      `postgres://${ROLE}:${PASSWORD}@127.0.0.1:${port}/sg`, // not encoded: / ? # end the user part
      `postgres://${ROLE}:${encodeURIComponent(PASSWORD)}@127.0.0.1:notaport/sg`,
      `mysql://${ROLE}:${encodeURIComponent(PASSWORD)}@127.0.0.1/sg`,
    ]) {
      const err = await openPostgresStore({ connectionString: bad }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(Error);
      expectNoPassword(everything(err));
    }
  });

  it("is in no error when the URL's sslmode asks for TLS the server does not offer", async () => {
    // The tests' server has no TLS: that the URL's sslmode=require is refused shows pg read it.
    const err = await openPostgresStore({
      connectionString: `${withPassword(superuserUrl, PASSWORD)}?sslmode=require`,
    }).catch((e: unknown) => e);
    expect((err as Error).message).toMatch(
      /refused opening the relay's tables: The server does not support SSL/,
    );
    expectNoPassword(everything(err));
    const plain = await openPostgresStore({
      connectionString: `${withPassword(superuserUrl, PASSWORD)}?sslmode=disable`,
    });
    await plain.close();
  });

  it("is in no log line or error when connections are lost and statements are refused", async () => {
    const { logger, lines } = captureLogger();
    const url = withPassword(superuserUrl, PASSWORD);
    const store = await openPostgresStore({ connectionString: url, logger, poolSize: 2 });
    const errors: unknown[] = [];
    try {
      store.onWake(() => {});
      await waitFor(() => store.listening);
      await store.counts();
      // Every connection of the store is cut, the LISTEN one included.
      const admin = new pg.Client({ connectionString: superuserUrl });
      await admin.connect();
      await admin.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = $1", [ROLE]);
      await admin.end();
      await waitFor(() => lines.join("").includes("lost the LISTEN connection"));
      await waitFor(() => store.listening);
      // Refused statements: a bad filter value, an impossible id.
      errors.push(await store.records({ since: Number.NaN }, 1).catch((e: unknown) => e));
      errors.push(await store.listDead(-1).catch((e: unknown) => e));
      errors.push(await store.replay({ ids: [1.5] }, 1).catch((e: unknown) => e));
    } finally {
      await store.close();
    }
    expect(errors.every((e) => e instanceof Error)).toBe(true);
    expectNoPassword(errors.map(everything).join("\n"));
    expect(lines.length).toBeGreaterThan(0);
    expectNoPassword(lines.join(""));
  });
});
