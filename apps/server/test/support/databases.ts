import { randomBytes } from "node:crypto";
import pg from "pg";

/**
 * The integration suites run once per database: embedded PGlite always, and the PostgreSQL server
 * when it answers. With SIGNALBEAM_REQUIRE_POSTGRES=1 (set by CI) an unreachable server fails the
 * run instead of skipping the PostgreSQL half.
 */
export const POSTGRES_ADMIN_URL = process.env.SIGNALBEAM_TEST_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
const POSTGRES_REQUIRED = process.env.SIGNALBEAM_REQUIRE_POSTGRES === "1";

export interface TestDatabase {
  name: "pglite" | "postgres";
  /** Creates an empty database for one suite; `url` undefined means embedded in-memory PGlite. */
  create(): Promise<{ url: string | undefined; dataDir: string; drop(): Promise<void> }>;
}

async function postgresReachable(): Promise<string | undefined> {
  const client = new pg.Client({ connectionString: POSTGRES_ADMIN_URL, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query("SELECT 1");
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  } finally {
    await client.end().catch(() => {});
  }
}

const pglite: TestDatabase = {
  name: "pglite",
  create: async () => ({ url: undefined, dataDir: "memory://", drop: async () => {} }),
};

const postgres: TestDatabase = {
  name: "postgres",
  create: async () => {
    const database = `signalbeam_test_${randomBytes(6).toString("hex")}`;
    const admin = new pg.Client({ connectionString: POSTGRES_ADMIN_URL });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${database}`);
    await admin.end();
    const url = new URL(POSTGRES_ADMIN_URL);
    url.pathname = `/${database}`;
    return {
      url: url.toString(),
      dataDir: "memory://",
      drop: async () => {
        const client = new pg.Client({ connectionString: POSTGRES_ADMIN_URL });
        await client.connect();
        await client.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
        await client.end();
      },
    };
  },
};

const unreachable = await postgresReachable();
if (unreachable && POSTGRES_REQUIRED)
  throw new Error(
    `PostgreSQL is required (SIGNALBEAM_REQUIRE_POSTGRES=1) but ${POSTGRES_ADMIN_URL} is unreachable: ${unreachable}`,
  );
if (unreachable)
  console.warn(
    `\n⚠ Skipping the PostgreSQL half of the integration suites: ${POSTGRES_ADMIN_URL} is unreachable (${unreachable}).\n`,
  );

/** The databases to run each integration suite against. */
export const testDatabases: TestDatabase[] = unreachable ? [pglite] : [pglite, postgres];
