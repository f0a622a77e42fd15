import type { Database, DeviceRolloutState, RolloutRow, Transaction } from "@signalbeam/db";
import { sql } from "@signalbeam/db";
import type { AuditActor } from "../audit/auditLog";
import type { WriteDeps } from "../deps";
import { DomainError } from "../shared/errors";
import { withoutNestedLoops } from "../shared/bulkJoin";
import { type Change, writeChange } from "../shared/writeChange";
import { lockRollout, saveRolloutCounts, tallyOf } from "./rolloutRepository";
import { applyMoves } from "./rolloutStatus";

/**
 * Queued, pending and updating devices → cancelled. Afterwards no desired state points at this
 * rollout but those of devices caught mid-update: devices that had not started, and devices that
 * failed (which run what they ran before, and can no longer be retried here), get back the desired
 * state they had before this rollout, with no rollout to report to — so no agent waits forever for
 * a retry that cannot come. A device caught mid-update keeps its desired state and its late report
 * gets 409. Cancelling a cancelled rollout is a no-op; a completed or failed one has nothing to
 * cancel.
 */
export async function cancelRollout(deps: WriteDeps, actor: AuditActor, rolloutId: string): Promise<void> {
  await writeChange(deps, async (tx, change) => {
    await cancelInTransaction(tx, change, actor, rolloutId);
  });
}

/** `cancelRollout` in a caller's transaction (an abort, a rollback); `reason` goes into the event. */
export async function cancelInTransaction(
  tx: Transaction<Database>,
  change: Change,
  actor: AuditActor,
  rolloutId: string,
  reason?: string,
): Promise<RolloutRow> {
  const { now } = change;
  // Lock order: desired states before the rollout row (see takeOverDevices).
  const pointing = await sql<{ device_id: string }>`
    SELECT device_id FROM device_desired_states WHERE rollout_id = ${rolloutId} ORDER BY device_id FOR UPDATE
  `.execute(tx);
  const rollout = await lockRollout(tx, rolloutId);
  if (rollout.status === "cancelled") return rollout;
  if (rollout.status === "completed" || rollout.status === "failed")
    throw new DomainError("CONFLICT", `rollout ${rolloutId} is already ${rollout.status}; there is nothing to cancel`, {
      status: rollout.status,
    });

  // Count, restore, cancel: the restore is the only join, and it runs without nested loops (see
  // withoutNestedLoops: the planner believes this rollout has a row or two). A queued device
  // waiting for an automatic retry still points here (see controllerStep), like a failed one.
  const moved = await sql<{ old_status: DeviceRolloutState; wave: number | null; devices: number }>`
    SELECT status AS old_status, wave, count(*)::int AS devices
    FROM rollout_statuses
    WHERE rollout_id = ${rolloutId} AND status IN ('queued', 'pending', 'updating')
    GROUP BY status, wave
  `.execute(tx);
  await withoutNestedLoops(tx, () =>
    sql`
    UPDATE device_desired_states dd
    SET rollout_id = NULL, bundle_id = rs.previous_bundle_id, version = rs.previous_version, updated_at = ${now}
    FROM rollout_statuses rs
    WHERE rs.rollout_id = ${rolloutId} AND rs.status IN ('queued', 'pending', 'failed')
      AND dd.device_id = rs.device_id AND dd.rollout_id = ${rolloutId}
  `.execute(tx),
  );
  await sql`
    UPDATE rollout_statuses
    SET status = 'cancelled', completed_at = ${now}, updated_at = ${now}, next_attempt_at = NULL
    WHERE rollout_id = ${rolloutId} AND status IN ('queued', 'pending', 'updating')
  `.execute(tx);
  const tally = applyMoves(
    tallyOf(rollout),
    moved.rows.map((move) => ({ wave: move.wave, from: move.old_status, to: "cancelled", devices: move.devices })),
  );
  const saved = await saveRolloutCounts(tx, change, rollout, tally, now, {
    cancel_requested_at: now,
    waiting_for: null,
    next_action_at: null,
  });
  const cancelledDevices = tally.counts.cancelled - rollout.cancelled;
  change.desiredStates(pointing.rows.map((row) => row.device_id));
  change.rollout(rolloutId);
  change.audit(actor, {
    action: "rollout.cancelled",
    target: { type: "rollout", id: rolloutId },
    details: { cancelledDevices, ...(reason ? { reason } : {}) },
  });
  change.event({ type: "rollout.cancelled", rolloutId, actor, data: { cancelledDevices, ...(reason ? { reason } : {}) } });
  return saved;
}
