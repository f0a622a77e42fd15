import type { DeviceRolloutState, RolloutStatusRow } from "@signalbeam/db";
import type { Context } from "../trpc";
import { DomainError } from "../shared/errors";
import { inTransaction } from "../shared/transaction";
import { checkTransition } from "./deviceTransitions";
import { countsOf, lockRollout, saveRolloutCounts } from "./rolloutRepository";
import { moveCounts } from "./rolloutStatus";

export interface DeviceReport {
  rolloutId: string;
  deviceId: string;
  status: Extract<DeviceRolloutState, "updating" | "succeeded" | "failed">;
  errorMessage?: string | undefined;
}

/**
 * An agent's report moves its row through the state machine and the rollout's counters with it,
 * in one transaction. Repeating the current state is a no-op; anything illegal is a 409 that
 * carries the current state (e.g. `cancelled` after a cancel), which never gets overwritten.
 */
export async function reportDeviceStatus(ctx: Pick<Context, "db" | "clock">, report: DeviceReport): Promise<RolloutStatusRow> {
  const now = ctx.clock();
  return inTransaction(ctx.db, async (tx) => {
    const rollout = await lockRollout(tx, report.rolloutId);
    const current = await tx
      .selectFrom("rollout_statuses")
      .selectAll()
      .where("rollout_id", "=", report.rolloutId)
      .where("device_id", "=", report.deviceId)
      .executeTakeFirst();
    if (!current) throw new DomainError("NOT_FOUND", `device ${report.deviceId} is not part of rollout ${report.rolloutId}`);

    const verdict = checkTransition(current.status, report.status);
    if (verdict.kind === "noop") return current;
    if (verdict.kind === "reject")
      throw new DomainError("CONFLICT", `${verdict.message} (device ${report.deviceId} in rollout ${report.rolloutId})`, {
        currentStatus: current.status,
      });

    const updated = await tx
      .updateTable("rollout_statuses")
      .set({
        status: report.status,
        updated_at: now,
        ...(report.status === "updating"
          ? { started_at: now }
          : {
              completed_at: now,
              error_message: report.status === "failed" ? (report.errorMessage ?? "failed (the agent gave no reason)") : null,
            }),
      })
      .where("rollout_id", "=", report.rolloutId)
      .where("device_id", "=", report.deviceId)
      .returningAll()
      .executeTakeFirstOrThrow();
    await saveRolloutCounts(tx, rollout, moveCounts(countsOf(rollout), current.status, report.status), now);
    if (report.status === "succeeded")
      await tx
        .updateTable("devices")
        .set({ reported_bundle_id: rollout.bundle_id, reported_version: rollout.version })
        .where("id", "=", report.deviceId)
        .execute();
    return updated;
  });
}
