import { type Kysely, sql } from "kysely";

// Frozen in time: this migration must never import application code.
// A rollout's target list never changes after creation and can hold 100,000 ids (~1 MB). Reads
// that only need its length (the summary form, every page of the dashboard) must not fetch and
// decompress the whole list for it, so the length is stored beside it.

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
    ALTER TABLE rollouts ADD COLUMN target_count integer;
    UPDATE rollouts SET target_count = jsonb_array_length(target_ids);
    ALTER TABLE rollouts ALTER COLUMN target_count SET NOT NULL;
    ALTER TABLE rollouts ADD CONSTRAINT rollouts_target_count_check CHECK (target_count >= 1)
    `,
  );
}

export async function down(db: Kysely<any>): Promise<void> {
  await run(
    db,
    `
    ALTER TABLE rollouts DROP COLUMN target_count
    `,
  );
}
