import { sql, type Database, type Kysely } from "@signalbeam/db";
import { expect } from "vitest";
import type { RestClient } from "./http";

/** Builds a small fleet through the public API and remembers each device's token. */
export async function createFleet(api: RestClient, prefix: string, count: number) {
  const tokens = new Map<string, string>();
  for (let index = 1; index <= count; index++) {
    const id = `${prefix}-${String(index).padStart(3, "0")}`;
    const response = await api.post("/devices", { id, name: `${prefix} device ${index}`, labels: { suite: prefix } });
    expect(response.status, JSON.stringify(response.body)).toBe(201);
    tokens.set(id, response.body.token);
  }
  return { ids: [...tokens.keys()], tokens };
}

export async function createBundleWithVersions(api: RestClient, name: string, versions: string[]) {
  const bundle = await api.post("/bundles", { name, description: `${name} for tests` });
  expect(bundle.status, JSON.stringify(bundle.body)).toBe(201);
  for (const version of versions) {
    const created = await api.post(`/bundles/${bundle.body.id}/versions`, {
      version,
      containers: [{ name: "app", image: `local/app:${version}`, env: { MODE: "test" } }],
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
  }
  return bundle.body.id as string;
}

/** The ground truth the counters must equal: a GROUP BY over the rollout's rows. */
export async function countsByGroupBy(db: Kysely<Database>, rolloutId: string) {
  const result = await sql<{ status: string; n: number }>`
    SELECT status, count(*)::int AS n FROM rollout_statuses WHERE rollout_id = ${rolloutId} GROUP BY status
  `.execute(db);
  const counts = { total: 0, queued: 0, pending: 0, inProgress: 0, succeeded: 0, failed: 0, cancelled: 0 };
  for (const row of result.rows) {
    counts.total += row.n;
    counts[row.status === "updating" ? "inProgress" : (row.status as "pending")] += row.n;
  }
  return counts;
}

/** Row counts of every table: a rejected request must leave all of them unchanged. */
export async function tableSnapshot(db: Kysely<Database>) {
  const tables = [
    "devices",
    "device_groups",
    "group_members",
    "bundles",
    "bundle_versions",
    "rollouts",
    "rollout_statuses",
    "device_desired_states",
    "users",
    "sessions",
    "api_keys",
    "audit_events",
  ];
  const snapshot: Record<string, string> = {};
  for (const table of tables) {
    // A digest of the whole table, not just a count: an UPDATE must show too. An API key's
    // last-used time is bookkeeping of a successful authentication, not a change a request made.
    const source =
      table === "api_keys"
        ? sql`(SELECT id, name, prefix, secret_hash, role, user_id, created_at, revoked_at FROM api_keys)`
        : sql.table(table);
    const result = await sql<{ digest: string | null }>`
      SELECT md5(string_agg(t::text, '|' ORDER BY t::text)) AS digest FROM ${source} t
    `.execute(db);
    snapshot[table] = result.rows[0]?.digest ?? "empty";
  }
  return snapshot;
}
