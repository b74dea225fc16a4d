// The PostgreSQL store: `openPostgresStore` for `serve --database-url` (migrates), `doctor` and
// `dlq list` (readOnly: never migrates), and the copy of a SQLite data directory into it.
//
// Client: pg (node-postgres) 8.23. A Pool does the work; a dedicated Client holds the LISTEN.
// Each batch of the hot path is one statement, so pg's pipelining would have nothing to overlap.
// Chosen over `postgres` (porsager), whose prepared statements by default break behind PgBouncer
// in transaction mode, and over pg-boss 10.x, whose jobs cannot carry the relay's dedupe key with
// revival of dead letters only, nor keep settled records for `doctor`.
export { type CopyOptions, type CopyReport, copySqliteToPostgres } from "./copy-from-sqlite";
export { PostgresStoreError, PostgresUnavailableError } from "./errors";
export { DEFAULT_SCHEMA } from "./names";
export { openPostgresStore, type PostgresStoreOptions } from "./open";
export { redactorFor } from "./redact";
export { SCHEMA_VERSION } from "./schema";
export { PostgresStore } from "./store";
