// Proves the store flags name exactly one store (a data directory or a PostgreSQL URL, the flag over SG_WEBHOOKS_DATABASE_URL) and that the URL's password shows nowhere.
import { describe, expect, it } from "vitest";
import { parseDatabaseUrl, redactDatabaseUrl } from "../../src/relay/database-url";
import { DEFAULT_POOL_SIZE } from "../../src/relay/postgres/connection";
import { DEFAULT_SCHEMA } from "../../src/relay/postgres/names";
import {
  DATABASE_URL_ENV,
  DEFAULT_DATABASE_POOL_SIZE,
  DEFAULT_DATABASE_SCHEMA,
  describeStoreTarget,
  optionalStoreTarget,
  StoreTargetError,
  storeTarget,
} from "../../src/relay/store-target";

const PASSWORD = "s3cr3t-Pa55word";
const URL_WITH_PASSWORD = `postgres://relay:${PASSWORD}@db.example.com:5432/relay?sslmode=verify-full`;
const none = {};

function refusal(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(StoreTargetError);
    return (err as Error).message;
  }
  throw new Error("not refused");
}

describe("the store the flags name", () => {
  it("a data directory is SQLite, a URL PostgreSQL in schema sg_webhooks unless told", () => {
    expect(storeTarget({ dataDir: "/var/lib/relay" }, { env: none })).toEqual({
      kind: "sqlite",
      dataDir: "/var/lib/relay",
    });
    const pg = storeTarget({ databaseUrl: URL_WITH_PASSWORD }, { env: none });
    expect(pg).toMatchObject({ kind: "postgres", schema: "sg_webhooks" });
    expect(pg.kind === "postgres" && pg.url.href).toBe(URL_WITH_PASSWORD);
    expect(pg.kind === "postgres" && pg.poolSize).toBeUndefined();
    const tuned = storeTarget(
      { databaseUrl: "postgresql://relay@db/relay", databaseSchema: "relay_2", databasePoolSize: "4" },
      { env: none },
    );
    expect(tuned).toMatchObject({ kind: "postgres", schema: "relay_2", poolSize: 4 });
    // The defaults --help shows are the store's own.
    expect([DEFAULT_DATABASE_SCHEMA, DEFAULT_DATABASE_POOL_SIZE]).toEqual([
      DEFAULT_SCHEMA,
      DEFAULT_POOL_SIZE,
    ]);
  });

  it("SG_WEBHOOKS_DATABASE_URL stands for --database-url, and the flag wins over it", () => {
    const env = { [DATABASE_URL_ENV]: "postgres://from-env@db/relay" };
    const fromEnv = storeTarget({}, { env });
    expect(fromEnv.kind === "postgres" && fromEnv.url.href).toBe("postgres://from-env@db/relay");
    const fromFlag = storeTarget({ databaseUrl: "postgres://from-flag@db/relay" }, { env });
    expect(fromFlag.kind === "postgres" && fromFlag.url.href).toBe("postgres://from-flag@db/relay");
  });

  it("both, or neither, is a usage error naming both options", () => {
    const both = refusal(() => storeTarget({ dataDir: "d", databaseUrl: URL_WITH_PASSWORD }, { env: none }));
    expect(both).toBe(
      "give either --data-dir DIR (SQLite, one relay) or --database-url URL (PostgreSQL, any number of relays), not both",
    );
    const envAndDir = refusal(() =>
      storeTarget({ dataDir: "d" }, { env: { [DATABASE_URL_ENV]: URL_WITH_PASSWORD } }),
    );
    expect(envAndDir).toMatch(
      /^SG_WEBHOOKS_DATABASE_URL is set and --data-dir is given: .*unset SG_WEBHOOKS_DATABASE_URL/,
    );
    const neither = refusal(() => storeTarget({}, { env: none }));
    expect(neither).toMatch(/--data-dir DIR .* or --database-url URL .*SG_WEBHOOKS_DATABASE_URL/);
    expect(refusal(() => storeTarget({}, { env: { [DATABASE_URL_ENV]: "" } }))).toMatch(
      /SG_WEBHOOKS_DATABASE_URL is set but empty$/,
    );
    // doctor's flag has its own name, and no store at all is allowed there.
    expect(
      refusal(() =>
        optionalStoreTarget(
          { dataDir: "d", databaseUrl: URL_WITH_PASSWORD },
          { dataDirFlag: "--relay-data-dir", env: none },
        ),
      ),
    ).toMatch(/^give either --relay-data-dir DIR .* or --database-url URL/);
    expect(optionalStoreTarget({}, { env: none })).toBeUndefined();
  });

  it("database settings without a database URL are refused, as are a bad schema and pool size", () => {
    expect(refusal(() => storeTarget({ dataDir: "d", databaseSchema: "x" }, { env: none }))).toMatch(
      /^--database-schema is only read with --database-url URL/,
    );
    expect(refusal(() => storeTarget({ dataDir: "d", databasePoolSize: "3" }, { env: none }))).toMatch(
      /^--database-pool-size is only read with --database-url URL/,
    );
    for (const schema of ["Relay", "1relay", "relay-x", "a".repeat(64), 'x"; drop schema public; --'])
      expect(
        refusal(() => storeTarget({ databaseUrl: URL_WITH_PASSWORD, databaseSchema: schema }, { env: none })),
      ).toMatch(/must be a lowercase name/);
    expect(
      refusal(() =>
        storeTarget({ databaseUrl: URL_WITH_PASSWORD, databaseSchema: "pg_relay" }, { env: none }),
      ),
    ).toMatch(/PostgreSQL's own/);
    for (const n of ["0", "-1", "2.5", "lots"])
      expect(
        refusal(() => storeTarget({ databaseUrl: URL_WITH_PASSWORD, databasePoolSize: n }, { env: none })),
      ).toMatch(/--database-pool-size ".*" must be a whole number/);
  });

  it("a URL that is not postgres:// or postgresql:// is refused naming the fix, never echoing the value", () => {
    const cases: [string, RegExp][] = [
      [`mysql://relay:${PASSWORD}@db/relay`, /not mysql:\/\/; give PostgreSQL's, such as postgres:\/\//],
      [
        `sqlite:///var/lib/relay.db?password=${PASSWORD}`,
        /or keep the store in SQLite with --data-dir DIR instead/,
      ],
      [`host=db user=relay password=${PASSWORD}`, /key=value settings are not read/],
      [`db.example.com:5432/${PASSWORD}`, /must be a postgres:\/\/ or postgresql:\/\/ URL/],
      [`postgres://relay:${PASSWORD}/x@db/relay`, /percent-encode special characters/],
      [`postgres://relay:${PASSWORD}#@db/relay`, /percent-encode special characters/],
      ["   ", /is empty/],
    ];
    for (const [value, expected] of cases) {
      const message = refusal(() => storeTarget({ databaseUrl: value }, { env: none }));
      expect(message).toMatch(expected);
      expect(message).toMatch(/^--database-url /);
      expect(message).not.toContain(PASSWORD);
    }
    const fromEnv = refusal(() =>
      storeTarget({}, { env: { [DATABASE_URL_ENV]: `mysql://u:${PASSWORD}@h/d` } }),
    );
    expect(fromEnv).toMatch(/^SG_WEBHOOKS_DATABASE_URL must be a postgres:\/\//);
  });
});

describe("the database URL's redaction", () => {
  it("display keeps the user, host, database and settings, and drops the password wherever it is given", () => {
    const url = parseDatabaseUrl(URL_WITH_PASSWORD, "--database-url");
    expect(url.display).toBe("postgres://relay:[redacted]@db.example.com:5432/relay?sslmode=verify-full");
    expect(
      parseDatabaseUrl(`postgresql://db/relay?user=relay&password=${PASSWORD}&sslmode=require`, "x").display,
    ).toBe("postgresql://db/relay?user=relay&password=[redacted]&sslmode=require");
    expect(parseDatabaseUrl("postgres://relay@db/relay", "x").display).toBe("postgres://relay@db/relay");
    // An unencoded @ in the password: the last @ ends the user part, as in the URL parser.
    expect(parseDatabaseUrl("postgres://relay:p@ss@db/relay", "x").display).toBe(
      "postgres://relay:[redacted]@db/relay",
    );
    expect(
      storeTarget({ databaseUrl: URL_WITH_PASSWORD }, { env: none }) &&
        describeStoreTarget(storeTarget({ databaseUrl: URL_WITH_PASSWORD }, { env: none })),
    ).toBe("postgres://relay:[redacted]@db.example.com:5432/relay?sslmode=verify-full (schema sg_webhooks)");
  });

  it("redact removes the URL and its password, as written, percent-decoded and encoded, from any text", () => {
    const encoded = "p%40ss%2Fw0rd-long-enough";
    const url = parseDatabaseUrl(`postgres://relay:${encoded}@db/relay`, "--database-url");
    const text = [
      `connect postgres://relay:${encoded}@db/relay failed`,
      "password authentication failed; server said p@ss/w0rd-long-enough was wrong",
      `echo: ${encoded}`,
      `upper: ${"p@ss/w0rd-long-enough".toUpperCase()}`,
    ].join("\n");
    const clean = url.redact(text);
    expect(clean).toContain("connect postgres://relay:[redacted]@db/relay failed");
    for (const form of [encoded, "p@ss/w0rd-long-enough", "P@SS/W0RD-LONG-ENOUGH"])
      expect(clean).not.toContain(form);
  });

  it("redactDatabaseUrl cleans any PostgreSQL URL and password= setting in free text", () => {
    expect(
      redactDatabaseUrl(
        `tried postgres://a:${PASSWORD}@h/d and POSTGRESQL://b:${PASSWORD}@h2/d?password=${PASSWORD} and host=h password=${PASSWORD} user=u`,
      ),
    ).toBe(
      "tried postgres://a:[redacted]@h/d and POSTGRESQL://b:[redacted]@h2/d?password=[redacted] and host=h password=[redacted] user=u",
    );
  });
});
