import type { DeviceRolloutState } from "@signalbeam/db";
import { sql } from "@signalbeam/db";
import { actorOf, recordAudit } from "../audit/auditLog";
import { announce, apply, type CacheChange } from "../cache/invalidation";
import type { Context } from "../trpc";
import { DomainError } from "../shared/errors";
import { withoutNestedLoops } from "../shared/bulkJoin";
import { inTransaction } from "../shared/transaction";
import { countsOf, lockRollout, saveRolloutCounts } from "./rolloutRepository";
import { moveCounts } from "./rolloutStatus";

/**
 * Pending and updating devices → cancelled. Devices that had not started get their previous
 * desired state back (with no rollout to report to), so they skip the deployment on their next
 * poll; a device caught mid-update keeps its desired state and its late report gets 409.
 * Cancelling a cancelled rollout is a no-op; a completed or failed one has nothing to cancel.
 */
export async function cancelRollout(
  ctx: Pick<Context, "db" | "clock" | "principal" | "agentCache">,
  rolloutId: string,
): Promise<void> {
  const now = ctx.clock();
  let change: CacheChange | undefined;
  await inTransaction(ctx.db, async (tx) => {
    // Lock order: desired states before the rollout row (see takeOverDevices).
    const pointing = await sql<{ device_id: string }>`
      SELECT device_id FROM device_desired_states WHERE rollout_id = ${rolloutId} ORDER BY device_id FOR UPDATE
    `.execute(tx);
    const rollout = await lockRollout(tx, rolloutId);
    if (rollout.status === "cancelled") return;
    if (rollout.status === "completed" || rollout.status === "failed")
      throw new DomainError("CONFLICT", `rollout ${rolloutId} is already ${rollout.status}; there is nothing to cancel`, {
        status: rollout.status,
      });

    // Count, restore, cancel: the restore is the only join, and it runs without nested loops (see
    // withoutNestedLoops: the planner believes this rollout has a row or two).
    const moved = await sql<{ old_status: DeviceRolloutState; devices: number }>`
      SELECT status AS old_status, count(*)::int AS devices
      FROM rollout_statuses
      WHERE rollout_id = ${rolloutId} AND status IN ('pending', 'updating')
      GROUP BY status
    `.execute(tx);
    await withoutNestedLoops(tx, () =>
      sql`
      UPDATE device_desired_states dd
      SET rollout_id = NULL, bundle_id = rs.previous_bundle_id, version = rs.previous_version, updated_at = ${now}
      FROM rollout_statuses rs
      WHERE rs.rollout_id = ${rolloutId} AND rs.status = 'pending'
        AND dd.device_id = rs.device_id AND dd.rollout_id = ${rolloutId}
    `.execute(tx),
    );
    await sql`
      UPDATE rollout_statuses
      SET status = 'cancelled', completed_at = ${now}, updated_at = ${now}
      WHERE rollout_id = ${rolloutId} AND status IN ('pending', 'updating')
    `.execute(tx);
    const counts = moved.rows.reduce(
      (acc, move) => moveCounts(acc, move.old_status, "cancelled", move.devices),
      countsOf(rollout),
    );
    await saveRolloutCounts(tx, rollout, counts, now, now);
    // Devices that had not started got their previous desired state back.
    change = { kind: "desired", devices: pointing.rows.map((row) => row.device_id) };
    await announce(tx, change, ctx.agentCache);
    await recordAudit(
      tx,
      actorOf(ctx.principal),
      {
        action: "rollout.cancelled",
        target: { type: "rollout", id: rolloutId },
        details: { cancelledDevices: counts.cancelled - rollout.cancelled },
      },
      now,
    );
  });
  if (change) apply(ctx.agentCache, change);
}
