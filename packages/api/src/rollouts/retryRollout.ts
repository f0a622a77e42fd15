import type { Database, Rollout, Transaction } from "@signalbeam/db";
import { actorOf, recordAudit } from "../audit/auditLog";
import { announce, apply, type CacheChange } from "../cache/invalidation";
import type { Context } from "../trpc";
import { DomainError } from "../shared/errors";
import { inTransaction } from "../shared/transaction";
import { countsOf, lockRollout, saveRolloutCounts } from "./rolloutRepository";
import { moveCounts } from "./rolloutStatus";
import { lockDesiredStates, takeOverDevices } from "./takeOverDevices";

const failedDevices = async (tx: Transaction<Database>, rolloutId: string) =>
  (
    await tx
      .selectFrom("rollout_statuses")
      .select("device_id")
      .where("rollout_id", "=", rolloutId)
      .where("status", "=", "failed")
      .orderBy("device_id")
      .execute()
  ).map((row) => row.device_id);

/**
 * Failed devices → pending (attempt + 1) and their desired state points here again; the rollout
 * becomes active and its completedAt is cleared. 409 when nothing failed or it was cancelled.
 */
export async function retryRollout(
  ctx: Pick<Context, "db" | "clock" | "principal" | "agentCache">,
  rolloutId: string,
): Promise<Rollout> {
  const now = ctx.clock();
  let change: CacheChange | undefined;
  const saved = await inTransaction(ctx.db, async (tx) => {
    // Lock order: desired states before rollout rows; re-read the failed set once locked.
    const seen = await failedDevices(tx, rolloutId);
    await lockDesiredStates(tx, seen);
    const rollout = await lockRollout(tx, rolloutId);
    if (rollout.cancel_requested_at)
      throw new DomainError("CONFLICT", `rollout ${rolloutId} was cancelled; create a new rollout instead`, {
        status: rollout.status,
      });
    const failed = await failedDevices(tx, rolloutId);
    if (failed.length === 0)
      throw new DomainError("CONFLICT", `rollout ${rolloutId} has no failed devices to retry`, { status: rollout.status });
    const seenSet = new Set(seen);
    await lockDesiredStates(
      tx,
      failed.filter((id) => !seenSet.has(id)),
    );

    await tx
      .updateTable("rollout_statuses")
      .set((eb) => ({
        status: "pending",
        attempt: eb("attempt", "+", 1),
        started_at: null,
        completed_at: null,
        error_message: null,
        updated_at: now,
      }))
      .where("rollout_id", "=", rolloutId)
      .where("status", "=", "failed")
      .execute();
    const saved = await saveRolloutCounts(tx, rollout, moveCounts(countsOf(rollout), "failed", "pending", failed.length), now);
    await takeOverDevices(tx, { rolloutId, bundleId: rollout.bundle_id, version: rollout.version, deviceIds: failed, now });
    change = { kind: "desired", devices: failed };
    await announce(tx, change, ctx.agentCache);
    await recordAudit(
      tx,
      actorOf(ctx.principal),
      { action: "rollout.retried", target: { type: "rollout", id: rolloutId }, details: { retriedDevices: failed.length } },
      now,
    );
    return saved;
  });
  if (change) apply(ctx.agentCache, change);
  return saved;
}
