import type { RolloutRow } from "@signalbeam/db";
import type { AuditActor } from "../audit/auditLog";
import type { WriteDeps } from "../deps";
import { DomainError } from "../shared/errors";
import { writeChange } from "../shared/writeChange";
import { advanceWave } from "./policy/controllerCore";
import { runControllerStep } from "./policy/controllerStep";
import { lockRollout, saveRolloutCounts, tallyOf } from "./rolloutRepository";

const isActive = (row: RolloutRow) => !["completed", "failed", "cancelled"].includes(row.status);

function requireStaged(row: RolloutRow, verb: string): void {
  if (!row.policy)
    throw new DomainError(
      "CONFLICT",
      `rollout ${row.id} has no policy: every device was released when it was created, so there is nothing to ${verb}; cancel stops it`,
      { status: row.status },
    );
  if (!isActive(row))
    throw new DomainError("CONFLICT", `rollout ${row.id} is ${row.status}; there is nothing to ${verb}`, { status: row.status });
}

/**
 * POST /rollouts/{id}/pause: no more devices are released (released ones carry on) until a resume.
 * 409 unless it is an active staged rollout; pausing a paused one is a no-op.
 */
export async function pauseRollout(deps: WriteDeps, actor: AuditActor, rolloutId: string): Promise<RolloutRow> {
  return writeChange(deps, async (tx, change) => {
    const row = await lockRollout(tx, rolloutId);
    requireStaged(row, "pause");
    if (row.paused_at) return row;
    const reason = `Paused by ${actor.name}. Resume to release more devices, or cancel.`;
    const saved = await saveRolloutCounts(tx, change, row, tallyOf(row), change.now, {
      paused_at: change.now,
      paused_reason: reason,
      waiting_for: null,
    });
    change.audit(actor, { action: "rollout.paused", target: { type: "rollout", id: rolloutId } });
    change.event({ type: "rollout.paused", rolloutId, actor, data: { reason } });
    change.rollout(rolloutId);
    return saved;
  });
}

/**
 * POST /rollouts/{id}/resume: releases continue at once; the failure threshold counts only devices
 * that finish from now on (those that failed before the pause were already judged). 409 unless paused.
 */
export async function resumeRollout(deps: WriteDeps, actor: AuditActor, rolloutId: string): Promise<RolloutRow> {
  return writeChange(deps, async (tx, change) => {
    const row = await lockRollout(tx, rolloutId);
    requireStaged(row, "resume");
    if (!row.paused_at) throw new DomainError("CONFLICT", `rollout ${rolloutId} is not paused`, { status: row.status });
    await saveRolloutCounts(tx, change, row, tallyOf(row), change.now, {
      paused_at: null,
      paused_reason: null,
      threshold_since: change.now,
      next_action_at: change.now,
    });
    change.audit(actor, { action: "rollout.resumed", target: { type: "rollout", id: rolloutId } });
    change.event({ type: "rollout.resumed", rolloutId, actor, data: { pausedReason: row.paused_reason } });
    return runControllerStep(tx, change, rolloutId);
  });
}

/**
 * POST /rollouts/{id}/advance: the next wave starts now, skipping its gate, soak and approval (and
 * a schedule's start time, for the first); windows and the rate limit still apply. 409 when paused
 * (resume first) or when the last wave has started.
 */
export async function advanceRollout(deps: WriteDeps, actor: AuditActor, rolloutId: string): Promise<RolloutRow> {
  return writeChange(deps, async (tx, change) => {
    const row = await lockRollout(tx, rolloutId);
    requireStaged(row, "advance");
    if (row.paused_at)
      throw new DomainError("CONFLICT", `rollout ${rolloutId} is paused; resume it before advancing`, { status: row.status });
    const next = advanceWave(row.waves!, row.current_wave, change.now);
    if (!next)
      throw new DomainError("CONFLICT", `rollout ${rolloutId} has started its last wave; there is no wave to advance to`, {
        status: row.status,
        currentWave: row.current_wave,
      });
    await saveRolloutCounts(tx, change, row, { counts: tallyOf(row).counts, waves: next.waves }, change.now, {
      current_wave: next.currentWave,
      next_action_at: change.now,
    });
    const wave = next.waves[next.currentWave]!;
    const data = { wave: next.currentWave, name: wave.name, size: wave.size, advancedBy: actor.name };
    change.audit(actor, { action: "rollout.advanced", target: { type: "rollout", id: rolloutId }, details: data });
    change.event({ type: "rollout.wave_started", rolloutId, actor, data });
    return runControllerStep(tx, change, rolloutId);
  });
}
