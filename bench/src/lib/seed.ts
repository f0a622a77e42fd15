import { type Database, type Kysely, sql } from "@signalbeam/db";

/**
 * Bulk fixtures straight into the tables (registering 100,000 devices through the API would take
 * minutes and measure nothing we report). Device `d000042` has the token `sbd_bench_42`; its hash
 * is computed by PostgreSQL exactly as the server computes it.
 */
export const deviceId = (n: number) => `d${String(n).padStart(6, "0")}`;
export const deviceToken = (n: number) => `sbd_bench_${n}`;

export async function seedDevices(db: Kysely<Database>, from: number, count: number): Promise<void> {
  await sql`
    INSERT INTO devices (id, name, labels, token_hash)
    SELECT 'd' || lpad(n::text, 6, '0'), 'Bench Device ' || n, '{"bench":"true"}'::jsonb,
           encode(sha256(convert_to('sbd_bench_' || n, 'UTF8')), 'hex')
    FROM generate_series(${from}::int, ${from + count - 1}::int) AS n
  `.execute(db);
  await sql`
    INSERT INTO device_desired_states (device_id)
    SELECT 'd' || lpad(n::text, 6, '0') FROM generate_series(${from}::int, ${from + count - 1}::int) AS n
  `.execute(db);
}

export const BENCH_BUNDLE_ID = "b3e1c4a0-0000-4000-8000-00000000b001";

export async function seedBundle(db: Kysely<Database>, versions: string[]): Promise<void> {
  await sql`INSERT INTO bundles (id, name, description) VALUES (${BENCH_BUNDLE_ID}, 'Bench Bundle', 'benchmark fixture')`.execute(
    db,
  );
  for (const version of versions)
    await sql`
      INSERT INTO bundle_versions (bundle_id, version, containers)
      VALUES (${BENCH_BUNDLE_ID}, ${version}, ${JSON.stringify([
        { name: "collector", image: `registry.local/collector:${version}`, env: { MODE: "bench", LEVEL: "info" } },
        { name: "forwarder", image: `registry.local/forwarder:${version}`, ports: [{ containerPort: 1883, hostPort: 1883 }] },
      ])}::jsonb)
    `.execute(db);
}

export async function seedGroup(db: Kysely<Database>, name: string, from: number, count: number): Promise<string> {
  const group = await sql<{ id: string }>`INSERT INTO device_groups (name) VALUES (${name}) RETURNING id`.execute(db);
  const id = group.rows[0]!.id;
  await sql`
    INSERT INTO group_members (group_id, device_id)
    SELECT ${id}::uuid, 'd' || lpad(n::text, 6, '0') FROM generate_series(${from}::int, ${from + count - 1}::int) AS n
  `.execute(db);
  return id;
}
