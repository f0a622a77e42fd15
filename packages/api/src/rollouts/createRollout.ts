import { randomUUID } from "node:crypto";
import type { Rollout } from "@signalbeam/db";
import type { z } from "zod";
import { actorOf, recordAudit } from "../audit/auditLog";
import { announce, apply, type CacheChange } from "../cache/invalidation";
import type { Context } from "../trpc";
import { inTransaction } from "../shared/transaction";
import { assertBundleVersion, resolveTargetDevices } from "./resolveTargets";
import type { createRolloutInput } from "./rolloutSchemas";
import { insertPendingRows, lockDesiredStates, lockRolloutsToSupersede, takeOverDevices } from "./takeOverDevices";

/**
 * One transaction: validate bundle, version and every target, expand groups, dedupe, write the
 * rollout and a pending row per device, and point each device's desired state at it (superseding
 * older rollouts). A rejected request writes nothing.
 */
export async function createRollout(
  ctx: Pick<Context, "db" | "clock" | "principal" | "agentCache">,
  input: z.infer<typeof createRolloutInput>,
): Promise<Rollout> {
  const now = ctx.clock();
  let change: CacheChange | undefined;
  const rollout = await inTransaction(ctx.db, async (tx) => {
    await assertBundleVersion(tx, input.bundleId, input.version);
    const { targetIds, deviceIds } = await resolveTargetDevices(tx, input);
    await lockDesiredStates(tx, deviceIds);

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
      .returningAll()
      .executeTakeFirstOrThrow();
    await insertPendingRows(tx, { rolloutId, deviceIds, now });
    await takeOverDevices(tx, {
      rolloutId,
      bundleId: input.bundleId,
      version: input.version,
      deviceIds,
      now,
      prepared: superseding,
    });
    change = { kind: "desired", devices: deviceIds };
    await announce(tx, change, ctx.agentCache);
    await recordAudit(
      tx,
      actorOf(ctx.principal),
      {
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
      },
      now,
    );
    return rollout;
  });
  if (change) apply(ctx.agentCache, change);
  return rollout;
}
