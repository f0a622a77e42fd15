import { type Kysely, sql } from "kysely";

// Frozen in time: this migration must never import application code.
// Failed-login counts shared by every server replica (rate-limiter-flexible's PostgreSQL store,
// in the shape it reads and writes: key, points, expire in epoch milliseconds). The key is text,
// not the library's varchar(255): it holds a client address and a username of any length.

export async function up(db: Kysely<any>): Promise<void> {
  await sql`CREATE TABLE login_attempts (key text PRIMARY KEY, points integer NOT NULL DEFAULT 0, expire bigint)`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`DROP TABLE login_attempts`.execute(db);
}
