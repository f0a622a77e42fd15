import { type Kysely, sql } from "kysely";

// Frozen in time: this migration must never import application code.
// A rollout's device page sorts by device name by default. Joining devices and sorting a 100,000
// device rollout on every page view is a full sort; a copy of the name on the status row (names are
// fixed at registration) lets an index hand out any page in order.

async function run(db: Kysely<any>, script: string): Promise<void> {
  const statements = script
    .split(/;\s*\n/)
    .map((statement) => statement.replace(/^\s*--.*$/gm, "").trim())
    .filter((statement) => statement.length > 0);
  for (const statement of statements) await sql.raw(statement).execute(db);
}

export async function up(db: Kysely<any>): Promise<void> {
  await run(
    db,
    `
    ALTER TABLE rollout_statuses ADD COLUMN device_name text;
    UPDATE rollout_statuses rs SET device_name = d.name FROM devices d WHERE d.id = rs.device_id;
    ALTER TABLE rollout_statuses ALTER COLUMN device_name SET NOT NULL;
    CREATE INDEX rollout_statuses_name_idx ON rollout_statuses (rollout_id, device_name, device_id);
    CREATE INDEX rollout_statuses_status_name_idx ON rollout_statuses (rollout_id, status, device_name, device_id)
    `,
  );
}

export async function down(db: Kysely<any>): Promise<void> {
  await run(
    db,
    `
    DROP INDEX rollout_statuses_status_name_idx;
    DROP INDEX rollout_statuses_name_idx;
    ALTER TABLE rollout_statuses DROP COLUMN device_name
    `,
  );
}
