import { randomUUID } from "node:crypto";
import type { RolloutRow } from "@signalbeam/db";
import type { z } from "zod";
import type { AuditActor } from "../audit/auditLog";
import type { WriteDeps } from "../deps";
import { writeChange } from "../shared/writeChange";
import { assertBundleVersion, resolveTargetDevices } from "./resolveTargets";
import { rolloutColumns } from "./rolloutRepository";
import type { createRolloutInput } from "./rolloutSchemas";
import { insertPendingRows, lockDesiredStates, lockRolloutsToSupersede, takeOverDevices } from "./takeOverDevices";

/** A rollout whose status rows do not match its total would lie about its progress forever. */
class IncompleteRollout extends Error {
  constructor(expected: number, written: number) {
    super(`rollout would have ${written} status rows for ${expected} devices; nothing was written`);
  }
}

/**
 * One transaction: validate bundle, version and every target, expand groups, dedupe, write the
 * rollout and a pending row per device, and point each device's desired state at it (superseding
 * older rollouts). A rejected request writes nothing.
 */
export async function createRollout(
  deps: WriteDeps,
  actor: AuditActor,
  input: z.infer<typeof createRolloutInput>,
): Promise<{ rollout: RolloutRow; targetIds: string[] }> {
  return writeChange(deps, async (tx, change) => {
    const { now } = change;
    await assertBundleVersion(tx, input.bundleId, input.version);
    const { targetIds, deviceIds } = await resolveTargetDevices(tx, input);
    await lockDesiredStates(tx, deviceIds, now);

    const rolloutId = randomUUID();
    const superseding = await lockRolloutsToSupersede(tx, rolloutId, deviceIds);
    const rollout = await tx
      .insertInto("rollouts")
      .values({
        id: rolloutId,
        bundle_id: input.bundleId,
        version: input.version,
        target_type: input.targetType,
        target_ids: JSON.stringify(targetIds),
        target_count: targetIds.length,
        status: "pending",
        total: deviceIds.length,
        pending: deviceIds.length,
        updating: 0,
        succeeded: 0,
        failed: 0,
        cancelled: 0,
        created_at: now,
        updated_at: now,
      })
      .returning(rolloutColumns)
      .executeTakeFirstOrThrow();
    const written = await insertPendingRows(tx, { rolloutId, deviceIds, now });
    if (written !== deviceIds.length) throw new IncompleteRollout(deviceIds.length, written);
    await takeOverDevices(tx, { rolloutId, bundleId: input.bundleId, version: input.version, deviceIds, now, superseding });

    change.desiredStates(deviceIds);
    change.rollout(rolloutId);
    for (const superseded of superseding.keys()) change.rollout(superseded);
    change.audit(actor, {
      action: "rollout.created",
      target: { type: "rollout", id: rolloutId },
      details: {
        bundleId: input.bundleId,
        version: input.version,
        targetType: input.targetType,
        // A 100,000-device target list belongs in the rollout, not in every audit listing.
        ...(targetIds.length <= 20 ? { targetIds } : { targetCount: targetIds.length }),
        devices: deviceIds.length,
      },
    });
    return { rollout, targetIds };
  }).then((created) => {
    deps.targetLists.remember(created.rollout.id, created.targetIds);
    return created;
  });
}
