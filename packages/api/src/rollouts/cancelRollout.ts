import type { DeviceRolloutState } from "@signalbeam/db";
import { sql } from "@signalbeam/db";
import type { AuditActor } from "../audit/auditLog";
import type { WriteDeps } from "../deps";
import { DomainError } from "../shared/errors";
import { withoutNestedLoops } from "../shared/bulkJoin";
import { writeChange } from "../shared/writeChange";
import { countsOf, lockRollout, saveRolloutCounts } from "./rolloutRepository";
import { moveCounts } from "./rolloutStatus";

/**
 * Pending and updating devices → cancelled. Afterwards no desired state points at this rollout
 * but those of devices caught mid-update: devices that had not started, and devices that failed
 * (which run what they ran before, and can no longer be retried here), get back the desired state
 * they had before this rollout, with no rollout to report to — so no agent waits forever for a
 * retry that cannot come. A device caught mid-update keeps its desired state and its late report
 * gets 409. Cancelling a cancelled rollout is a no-op; a completed or failed one has nothing to
 * cancel.
 */
export async function cancelRollout(deps: WriteDeps, actor: AuditActor, rolloutId: string): Promise<void> {
  await writeChange(deps, async (tx, change) => {
    const { now } = change;
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
      WHERE rs.rollout_id = ${rolloutId} AND rs.status IN ('pending', 'failed')
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
    change.desiredStates(pointing.rows.map((row) => row.device_id));
    change.rollout(rolloutId);
    change.audit(actor, {
      action: "rollout.cancelled",
      target: { type: "rollout", id: rolloutId },
      details: { cancelledDevices: counts.cancelled - rollout.cancelled },
    });
  });
}
