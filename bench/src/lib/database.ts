import { migrateToLatest, openDatabase, type DatabaseHandle } from "@signalbeam/db";
import pg from "pg";

const POSTGRES_ADMIN_URL = process.env.SIGNALBEAM_BENCH_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";

/** A fresh, migrated benchmark database on the local PostgreSQL server (dropped first if left over). */
export async function freshDatabase(name: string): Promise<{ url: string; handle: DatabaseHandle; drop(): Promise<void> }> {
  const admin = new pg.Client({ connectionString: POSTGRES_ADMIN_URL });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(POSTGRES_ADMIN_URL);
  url.pathname = `/${name}`;
  const handle = await openDatabase({ databaseUrl: url.toString() });
  await migrateToLatest(handle.db);
  return {
    url: url.toString(),
    handle,
    drop: async () => {
      await handle.close();
      const client = new pg.Client({ connectionString: POSTGRES_ADMIN_URL });
      await client.connect();
      await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await client.end();
    },
  };
}
