import type { DeviceRolloutState, DeviceStateCounts, RolloutState, WaveState } from "@signalbeam/db";

export type DeviceCounts = DeviceStateCounts;

export const noDevices = (): DeviceCounts => ({ queued: 0, pending: 0, updating: 0, succeeded: 0, failed: 0, cancelled: 0 });

const totalOf = (counts: DeviceCounts) =>
  counts.queued + counts.pending + counts.updating + counts.succeeded + counts.failed + counts.cancelled;

/** What besides the counts decides a rollout's status: a manager's cancel, a pause, a start still ahead. */
export interface StatusFlags {
  cancelRequested: boolean;
  /** Paused by a manager or a failure threshold. */
  paused?: boolean;
  /** A staged rollout none of whose waves has started (its schedule's startAt is ahead). */
  scheduled?: boolean;
}

/**
 * A rollout's status is derived from its device counts, never stored independently of them
 * (docs/DESIGN.md, in order):
 *   1. cancelled   — a manager cancelled it, or every device is cancelled
 *   2. scheduled   — nothing released yet, its start time ahead
 *   3. paused      — a manager or the failure threshold paused it
 *   4. pending     — every device is pending or queued
 *   5. completed   — every device succeeded
 *   6. failed      — none queued, pending or updating, at least one failed
 *   7. in_progress — otherwise
 * One addition closes a gap in those rules: when nothing is queued, pending, updating or failed and
 * the devices that did not succeed were all taken over by newer rollouts (cancelled), the rollout
 * is `completed` — otherwise rule 7 would leave it "in progress" forever with nothing left to do.
 */
export function deriveRolloutStatus(counts: DeviceCounts, flags: StatusFlags): RolloutState {
  const total = totalOf(counts);
  if (flags.cancelRequested || (total > 0 && counts.cancelled === total)) return "cancelled";
  if (flags.scheduled) return "scheduled";
  if (flags.paused) return "paused";
  if (counts.pending + counts.queued === total) return "pending";
  if (counts.succeeded === total) return "completed";
  const active = counts.queued + counts.pending + counts.updating;
  if (active === 0 && counts.failed > 0) return "failed";
  if (active === 0 && counts.succeeded > 0) return "completed";
  return "in_progress";
}

const isTerminalRolloutStatus = (status: RolloutState) => status === "completed" || status === "failed" || status === "cancelled";

/** Moves `count` devices from one state to another in the counters. */
export function moveCounts(counts: DeviceCounts, from: DeviceRolloutState, to: DeviceRolloutState, count = 1): DeviceCounts {
  if (from === to || count === 0) return counts;
  if (counts[from] < count) throw new Error(`counter underflow: ${count} ${from} → ${to} with only ${counts[from]} ${from}`);
  return { ...counts, [from]: counts[from] - count, [to]: counts[to] + count };
}

/** `devices` devices of one wave (null: a rollout without waves) moved from one state to another. */
export interface Move {
  wave: number | null;
  from: DeviceRolloutState;
  to: DeviceRolloutState;
  devices: number;
}

/** A rollout's counters and, for a staged rollout, its waves' counters: both move together. */
export interface Tally {
  counts: DeviceCounts;
  waves: WaveState[] | null;
}

/** Applies moves to the rollout's and its waves' counters (exact, or an underflow error). */
export function applyMoves(tally: Tally, moves: readonly Move[]): Tally {
  let { counts } = tally;
  const waves = tally.waves ? tally.waves.map((wave) => ({ ...wave, counts: { ...wave.counts } })) : null;
  for (const move of moves) {
    counts = moveCounts(counts, move.from, move.to, move.devices);
    if (waves && move.wave !== null) {
      const wave = waves[move.wave];
      if (!wave) throw new Error(`a move names wave ${move.wave}, which this rollout does not have`);
      wave.counts = moveCounts(wave.counts, move.from, move.to, move.devices);
    }
  }
  return { counts, waves };
}

/**
 * What a rollout row becomes after its counts change: status by the rules above, `completedAt`
 * set on reaching a terminal status (kept if already set) and cleared when it becomes active again.
 */
export function nextRolloutState(
  counts: DeviceCounts,
  flags: StatusFlags,
  completedAt: Date | null,
  now: Date,
): { status: RolloutState; completedAt: Date | null } {
  const status = deriveRolloutStatus(counts, flags);
  if (!isTerminalRolloutStatus(status)) return { status, completedAt: null };
  return { status, completedAt: completedAt ?? now };
}
