import type { DeviceRolloutState, RolloutState } from "@signalbeam/db";

export type DeviceCounts = Record<DeviceRolloutState, number>;

const totalOf = (counts: DeviceCounts) => counts.pending + counts.updating + counts.succeeded + counts.failed + counts.cancelled;

/**
 * A rollout's status is derived from its device counts, never stored independently of them
 * (docs/DESIGN.md, in order):
 *   1. cancelled   — a manager cancelled it, or every device is cancelled
 *   2. pending     — every device is pending
 *   3. completed   — every device succeeded
 *   4. failed      — none pending or updating, at least one failed
 *   5. in_progress — otherwise
 * One addition closes a gap in those rules: when nothing is pending, updating or failed and the
 * devices that did not succeed were all taken over by newer rollouts (cancelled), the rollout is
 * `completed` — otherwise rule 5 would leave it "in progress" forever with nothing left to do.
 */
export function deriveRolloutStatus(counts: DeviceCounts, cancelRequested: boolean): RolloutState {
  const total = totalOf(counts);
  if (cancelRequested || (total > 0 && counts.cancelled === total)) return "cancelled";
  if (counts.pending === total) return "pending";
  if (counts.succeeded === total) return "completed";
  if (counts.pending === 0 && counts.updating === 0 && counts.failed > 0) return "failed";
  if (counts.pending === 0 && counts.updating === 0 && counts.succeeded > 0) return "completed";
  return "in_progress";
}

const isTerminalRolloutStatus = (status: RolloutState) => status === "completed" || status === "failed" || status === "cancelled";

/** Moves `count` devices from one state to another in the counters. */
export function moveCounts(counts: DeviceCounts, from: DeviceRolloutState, to: DeviceRolloutState, count = 1): DeviceCounts {
  if (from === to || count === 0) return counts;
  if (counts[from] < count) throw new Error(`counter underflow: ${count} ${from} → ${to} with only ${counts[from]} ${from}`);
  return { ...counts, [from]: counts[from] - count, [to]: counts[to] + count };
}

/**
 * What a rollout row becomes after its counts change: status by the rules above, `completedAt`
 * set on reaching a terminal status (kept if already set) and cleared when it becomes active again.
 */
export function nextRolloutState(
  counts: DeviceCounts,
  cancelRequested: boolean,
  completedAt: Date | null,
  now: Date,
): { status: RolloutState; completedAt: Date | null } {
  const status = deriveRolloutStatus(counts, cancelRequested);
  if (!isTerminalRolloutStatus(status)) return { status, completedAt: null };
  return { status, completedAt: completedAt ?? now };
}
