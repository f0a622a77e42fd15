import type { Database, RolloutRow, Transaction } from "@signalbeam/db";
import { sql } from "@signalbeam/db";
import type { AuditActor } from "../audit/auditLog";
import type { WriteDeps } from "../deps";
import { DomainError } from "../shared/errors";
import { writeChange } from "../shared/writeChange";
import { lockRollout, saveRolloutCounts, tallyOf } from "./rolloutRepository";
import { applyMoves } from "./rolloutStatus";

/**
 * The failed devices a retry may take back: those whose desired state still belongs to this
 * rollout. A device a newer rollout has taken since (whatever its state there, even cancelled)
 * stays where it is — retrying an old rollout must never downgrade a device or supersede a newer
 * rollout. Locks their desired states when asked (lock order: desired states, then rollouts).
 */
const retriableDevices = async (tx: Transaction<Database>, rolloutId: string, lock: boolean) =>
  (
    await sql<{ device_id: string }>`
      SELECT dd.device_id
      FROM rollout_statuses rs
      JOIN device_desired_states dd ON dd.device_id = rs.device_id AND dd.rollout_id = rs.rollout_id
      WHERE rs.rollout_id = ${rolloutId} AND rs.status = 'failed'
      ORDER BY dd.device_id
      ${lock ? sql`FOR UPDATE OF dd` : sql``}
    `.execute(tx)
  ).rows.map((row) => row.device_id);

/**
 * Failed devices this rollout still owns → pending (attempt + 1), which their agents see as a new
 * attempt; the rollout becomes active and its completedAt is cleared. 409 when it was cancelled,
 * when nothing failed, and when newer rollouts have taken every failed device.
 */
export async function retryRollout(deps: WriteDeps, actor: AuditActor, rolloutId: string): Promise<RolloutRow> {
  return writeChange(deps, async (tx, change) => {
    const { now } = change;
    const seen = new Set(await retriableDevices(tx, rolloutId, true));
    const rollout = await lockRollout(tx, rolloutId);
    if (rollout.cancel_requested_at)
      throw new DomainError("CONFLICT", `rollout ${rolloutId} was cancelled; create a new rollout instead`, {
        status: rollout.status,
      });
    if (rollout.failed === 0)
      throw new DomainError("CONFLICT", `rollout ${rolloutId} has no failed devices to retry`, { status: rollout.status });
    // Reports take the rollout lock: from here the failed set cannot change. One that failed
    // between the two reads is taken too (its desired state locked now; a deadlock is retried).
    const devices = await retriableDevices(tx, rolloutId, false);
    const late = devices.filter((id) => !seen.has(id));
    if (late.length)
      await sql`SELECT 1 FROM device_desired_states WHERE device_id = ANY(${late}::text[]) ORDER BY device_id FOR UPDATE`.execute(
        tx,
      );
    if (devices.length === 0)
      throw new DomainError(
        "CONFLICT",
        `rollout ${rolloutId} has ${rollout.failed} failed device(s), but newer rollouts have taken all of them; ` +
          "retrying here would take them back",
        { status: rollout.status, failed: rollout.failed, retriable: 0 },
      );

    const retried = await tx
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
      .where("device_id", "=", sql<string>`ANY(${devices}::text[])`)
      .returning(["wave"])
      .execute();
    // The desired state already names this rollout and version; the new attempt is what changes.
    await tx
      .updateTable("device_desired_states")
      .set({ updated_at: now })
      .where("device_id", "=", sql<string>`ANY(${devices}::text[])`)
      .execute();
    const perWave = new Map<number | null, number>();
    for (const { wave } of retried) perWave.set(wave, (perWave.get(wave) ?? 0) + 1);
    const tally = applyMoves(
      tallyOf(rollout),
      [...perWave].map(([wave, count]) => ({ wave, from: "failed" as const, to: "pending" as const, devices: count })),
    );
    const saved = await saveRolloutCounts(tx, change, rollout, tally, now);

    change.desiredStates(devices);
    change.rollout(rolloutId);
    change.audit(actor, {
      action: "rollout.retried",
      target: { type: "rollout", id: rolloutId },
      details: {
        retriedDevices: devices.length,
        ...(rollout.failed > devices.length ? { keptByNewerRollouts: rollout.failed - devices.length } : {}),
      },
    });
    return saved;
  });
}
