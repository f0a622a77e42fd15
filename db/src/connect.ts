import { mkdirSync } from "node:fs";
import path from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { Kysely, type LogEvent, PostgresDialect } from "kysely";
import { PGliteDialect } from "kysely-pglite-dialect";
import pg from "pg";
import type { Database } from "./schema";

export type DatabaseKind = "postgres" | "pglite";

export interface DatabaseHandle {
  db: Kysely<Database>;
  kind: DatabaseKind;
  /** Where the data lives: a redacted connection URL or the PGlite directory. */
  location: string;
  /** PostgreSQL's pool, for libraries that bring their own queries (the shared login limiter). */
  pgPool?: pg.Pool;
  close(): Promise<void>;
}

export interface DatabaseOptions {
  /** `DATABASE_URL`: when set, a pg pool to that server. */
  databaseUrl?: string | undefined;
  /** `SIGNALBEAM_DATA_DIR`: where embedded PGlite keeps its files; `memory://` keeps nothing. */
  dataDir?: string | undefined;
  /** Pool size for PostgreSQL. */
  maxConnections?: number | undefined;
  /** Hears every statement that completes (tests count the queries a request makes). */
  onQuery?: ((sql: string) => void) | undefined;
}

// timestamptz already arrives as Date; bigint (COUNT, SUM) arrives as a string unless parsed.
pg.types.setTypeParser(pg.types.builtins.INT8, (value) => Number.parseInt(value, 10));

/** One factory for both databases: `DATABASE_URL` set → PostgreSQL, unset → embedded PGlite. */
export async function openDatabase(options: DatabaseOptions = {}): Promise<DatabaseHandle> {
  const log = options.onQuery && queryLog(options.onQuery);
  if (options.databaseUrl) return openPostgres(options.databaseUrl, options.maxConnections ?? 20, log);
  return openPglite(options.dataDir ?? ".data", log);
}

/**
 * A connection to the database could not be made (the server is restarting, failing over, or
 * refusing connections). Requests that meet it answer 503; the pool connects again by itself.
 */
export class DatabaseUnavailableError extends Error {
  constructor(cause: unknown) {
    super(`the database is unavailable: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.name = "DatabaseUnavailableError";
  }
}

type QueryLog = ((event: LogEvent) => void) | undefined;
const queryLog =
  (onQuery: (sql: string) => void): QueryLog =>
  (event) => {
    if (event.level === "query") onQuery(event.query.sql);
  };

function openPostgres(databaseUrl: string, maxConnections: number, log: QueryLog): DatabaseHandle {
  // A connection attempt to a server that does not answer fails after 5 s instead of hanging a request.
  const pool = new pg.Pool({ connectionString: databaseUrl, max: maxConnections, connectionTimeoutMillis: 5_000 });
  // A connection that loses its server emits 'error'. The pool listens while a client is idle, but
  // not while it is checked out (a transaction between two statements): unheard, that error would
  // end the process. Every client gets a listener of its own for its whole life; the statement
  // that next uses it fails instead, and the pool discards it.
  pool.on("error", () => {});
  pool.on("connect", (client) => client.on("error", () => {}));
  const connecting = {
    connect: () =>
      pool.connect().catch((error: unknown) => {
        throw new DatabaseUnavailableError(error);
      }),
    end: () => pool.end(),
  };
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool: connecting }), ...(log ? { log } : {}) });
  return { db, kind: "postgres", location: redactUrl(databaseUrl), pgPool: pool, close: () => db.destroy() };
}

async function openPglite(dataDir: string, log: QueryLog): Promise<DatabaseHandle> {
  const inMemory = dataDir.startsWith("memory://");
  const location = inMemory ? dataDir : path.resolve(dataDir, "pglite");
  if (!inMemory) mkdirSync(location, { recursive: true });
  const pglite = await PGlite.create(location);
  const db = new Kysely<Database>({ dialect: new PGliteDialect(pglite), ...(log ? { log } : {}) });
  return {
    db,
    kind: "pglite",
    location,
    close: async () => {
      await db.destroy();
      if (!pglite.closed) await pglite.close();
    },
  };
}

function redactUrl(databaseUrl: string): string {
  try {
    const url = new URL(databaseUrl);
    if (url.password) url.password = "***";
    return url.toString();
  } catch {
    return "(unparseable DATABASE_URL)";
  }
}
