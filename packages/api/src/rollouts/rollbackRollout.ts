import type { Database, RolloutRow, Transaction } from "@signalbeam/db";
import { sql } from "@signalbeam/db";
import type { AuditActor } from "../audit/auditLog";
import type { WriteDeps } from "../deps";
import type { EventActor } from "../shared/changeLog";
import { DomainError } from "../shared/errors";
import { type Change, writeChange } from "../shared/writeChange";
import { cancelInTransaction } from "./cancelRollout";
import { createRolloutInTransaction } from "./createRollout";
import { lockRollout, saveRolloutCounts, tallyOf } from "./rolloutRepository";

export interface RollbackResult {
  rollouts: { rollout: RolloutRow; targetIds: string[] }[];
  untouchedDeviceIds: string[];
}

/**
 * POST /rollouts/{id}/rollback (docs/DESIGN.md): the rollout is cancelled, and the devices that
 * started it (reached updating or beyond) and still belong to it are sent back to the version
 * each ran before, by new rollouts of kind `rollback` — one per previous version, all at once,
 * never rolled back themselves. Devices with no previous version are left alone and listed.
 */
export async function rollbackRollout(deps: WriteDeps, actor: AuditActor, rolloutId: string): Promise<RollbackResult> {
  const result = await writeChange(deps, (tx, change) => rollbackInTransaction(tx, change, actor, rolloutId));
  for (const created of result.rollouts) deps.targetLists.remember(created.rollout.id, created.targetIds);
  return result;
}

export async function rollbackInTransaction(
  tx: Transaction<Database>,
  change: Change,
  actor: EventActor,
  rolloutId: string,
  reason?: string,
): Promise<RollbackResult> {
  const auditActor: AuditActor = actor.type === "agent" ? { type: "system", id: null, name: actor.name } : actor;
  // Lock order: desired states before the rollout row (see takeOverDevices).
  await sql`SELECT 1 FROM device_desired_states WHERE rollout_id = ${rolloutId} ORDER BY device_id FOR UPDATE`.execute(tx);
  const before = await lockRollout(tx, rolloutId);
  if (before.kind === "rollback")
    throw new DomainError(
      "CONFLICT",
      `rollout ${rolloutId} is itself a rollback; it is never rolled back (create a new rollout)`,
      {
        status: before.status,
      },
    );
  if (before.rolled_back_by)
    throw new DomainError("CONFLICT", `rollout ${rolloutId} was already rolled back by ${before.rolled_back_by.join(", ")}`, {
      status: before.status,
    });
  // Before the cancel: which devices started this rollout and are still its own (a newer rollout
  // may have taken some since — rolling those back would fight it). A failed device waiting for an
  // automatic retry (queued, with a retry time) started it too.
  const started = await sql<{ device_id: string; previous_bundle_id: string | null; previous_version: string | null }>`
    SELECT rs.device_id, rs.previous_bundle_id, rs.previous_version
    FROM rollout_statuses rs
    JOIN device_desired_states dd ON dd.device_id = rs.device_id AND dd.rollout_id = rs.rollout_id
    WHERE rs.rollout_id = ${rolloutId}
      AND (rs.status IN ('updating', 'succeeded', 'failed') OR (rs.status = 'queued' AND rs.next_attempt_at IS NOT NULL))
    ORDER BY rs.device_id
  `.execute(tx);
  if (before.status !== "completed" && before.status !== "failed" && before.status !== "cancelled")
    await cancelInTransaction(tx, change, auditActor, rolloutId, reason ?? "rolled back");

  const byVersion = new Map<string, { bundleId: string; version: string; deviceIds: string[] }>();
  const untouchedDeviceIds: string[] = [];
  for (const device of started.rows) {
    if (!device.previous_bundle_id || !device.previous_version) {
      untouchedDeviceIds.push(device.device_id);
      continue;
    }
    const key = `${device.previous_bundle_id}@${device.previous_version}`;
    const entry = byVersion.get(key) ?? { bundleId: device.previous_bundle_id, version: device.previous_version, deviceIds: [] };
    entry.deviceIds.push(device.device_id);
    byVersion.set(key, entry);
  }
  const rollouts: RollbackResult["rollouts"] = [];
  for (const target of byVersion.values())
    rollouts.push(
      await createRolloutInTransaction(
        tx,
        change,
        auditActor,
        { bundleId: target.bundleId, version: target.version, targetType: "device", deviceIds: target.deviceIds },
        { kind: "rollback", rollbackOf: rolloutId },
      ),
    );

  const row = await lockRollout(tx, rolloutId);
  const ids = rollouts.map((created) => created.rollout.id);
  await saveRolloutCounts(tx, change, row, tallyOf(row), change.now, { rolled_back_by: JSON.stringify(ids) });
  const data = {
    rollbackRolloutIds: ids,
    devices: started.rows.length - untouchedDeviceIds.length,
    untouchedDevices: untouchedDeviceIds.length,
    ...(reason ? { reason } : {}),
  };
  change.audit(auditActor, { action: "rollout.rolled_back", target: { type: "rollout", id: rolloutId }, details: data });
  change.event({ type: "rollout.rolled_back", rolloutId, actor, data });
  change.rollout(rolloutId);
  return { rollouts, untouchedDeviceIds };
}
