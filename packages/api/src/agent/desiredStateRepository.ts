import type { ContainerSpec, Database, Kysely } from "@signalbeam/db";
import { notFound } from "../shared/errors";

export interface DesiredStateAnswer {
  deviceId: string;
  rolloutId: string | null;
  bundleId: string | null;
  version: string | null;
  containers: ContainerSpec[];
  attempt: number | null;
}

/** Which devices' desired states to read: a list, or one keyset page of every device (ordered by id). */
export type DesiredStateSelection = { deviceIds: readonly string[] } | { after: string | null; limit: number };

/**
 * Desired states with their versions' containers, set-based: nulls and [] when nothing is assigned.
 * One poll reads one device; the agent cache's warmer reads thousands per statement.
 */
export async function readDesiredStates(db: Kysely<Database>, selection: DesiredStateSelection): Promise<DesiredStateAnswer[]> {
  let query = db
    .selectFrom("device_desired_states as dd")
    .leftJoin("bundle_versions as bv", (join) =>
      join.onRef("bv.bundle_id", "=", "dd.bundle_id").onRef("bv.version", "=", "dd.version"),
    )
    .leftJoin("rollout_statuses as rs", (join) =>
      join.onRef("rs.rollout_id", "=", "dd.rollout_id").onRef("rs.device_id", "=", "dd.device_id"),
    )
    .select(["dd.device_id", "dd.rollout_id", "dd.bundle_id", "dd.version", "bv.containers", "rs.attempt"]);
  if ("deviceIds" in selection) {
    if (selection.deviceIds.length === 0) return [];
    query = query.where("dd.device_id", "in", selection.deviceIds);
  } else {
    if (selection.after !== null) query = query.where("dd.device_id", ">", selection.after);
    query = query.orderBy("dd.device_id").limit(selection.limit);
  }
  const rows = await query.execute();
  return rows.map((row) => ({
    deviceId: row.device_id,
    rolloutId: row.rollout_id,
    bundleId: row.bundle_id,
    version: row.version,
    containers: row.containers ?? [],
    attempt: row.rollout_id ? (row.attempt ?? null) : null,
  }));
}

/** One device's desired state (the agent poll). */
export async function readDesiredState(db: Kysely<Database>, deviceId: string): Promise<DesiredStateAnswer> {
  const [answer] = await readDesiredStates(db, { deviceIds: [deviceId] });
  if (!answer) throw notFound("device", deviceId);
  return answer;
}
