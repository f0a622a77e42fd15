import type { Database, Kysely } from "@signalbeam/db";
import { notFound } from "../shared/errors";

/** The device's desired state with its version's containers; nulls and [] when nothing is assigned. */
export async function readDesiredState(db: Kysely<Database>, deviceId: string) {
  const row = await db
    .selectFrom("device_desired_states as dd")
    .leftJoin("bundle_versions as bv", (join) =>
      join.onRef("bv.bundle_id", "=", "dd.bundle_id").onRef("bv.version", "=", "dd.version"),
    )
    .leftJoin("rollout_statuses as rs", (join) =>
      join.onRef("rs.rollout_id", "=", "dd.rollout_id").onRef("rs.device_id", "=", "dd.device_id"),
    )
    .select(["dd.rollout_id", "dd.bundle_id", "dd.version", "bv.containers", "rs.attempt"])
    .where("dd.device_id", "=", deviceId)
    .executeTakeFirst();
  if (!row) throw notFound("device", deviceId);
  return {
    deviceId,
    rolloutId: row.rollout_id,
    bundleId: row.bundle_id,
    version: row.version,
    containers: row.containers ?? [],
    attempt: row.rollout_id ? (row.attempt ?? null) : null,
  };
}
