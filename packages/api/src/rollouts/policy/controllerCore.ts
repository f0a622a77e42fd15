import type { ReleaseLog, RolloutPolicy, WaitingFor, WaveState } from "@signalbeam/db";
import { windowState } from "./windows";

/**
 * The policy controller's decisions, pure (docs/DESIGN.md, "Progressive delivery"): given a staged
 * rollout's state and the time, what happens next. The controller step (controllerStep.ts) reads
 * the state under the rollout's row lock, asks these functions, and writes their answer.
 */

const MINUTE = 60_000;

/** The failure threshold, over devices that finished (since the last resume, when there was one). */
export function thresholdBreach(
  policy: RolloutPolicy,
  finished: { succeeded: number; failed: number },
): { failed: number; completed: number; percent: number } | null {
  const threshold = policy.failureThreshold;
  if (!threshold) return null;
  const completed = finished.succeeded + finished.failed;
  if (completed === 0 || completed < threshold.minCompleted) return null;
  const percent = (finished.failed / completed) * 100;
  return percent > threshold.percent ? { failed: finished.failed, completed, percent } : null;
}

/** The sentence a paused rollout shows for a threshold breach. */
export function breachReason(policy: RolloutPolicy, breach: { failed: number; completed: number; percent: number }): string {
  return (
    `${breach.failed} of ${breach.completed} finished devices failed (${breach.percent.toFixed(1)} %), ` +
    `more than the failure threshold of ${policy.failureThreshold!.percent} %. ` +
    "Look at the failed devices' errors, then resume (failures are counted afresh from then), roll back, or cancel."
  );
}

/** How many of a wave's devices must succeed for it to pass its gate. */
export const gateNeed = (policy: RolloutPolicy, size: number) =>
  Math.max(0, Math.ceil((policy.gate.successPercent * size) / 100 - 1e-9));

export interface WaveProgress {
  currentWave: number | null;
  waves: WaveState[];
  started: number[];
  passed: number[];
  waitingFor: Extract<WaitingFor, "schedule" | "soak" | "approval" | "gate"> | null;
  nextActionAt: Date | null;
}

/**
 * Starts and passes waves: the first starts at `startAt` (or at once); a started wave passes its
 * gate when enough of it succeeded; after the soak the next starts (`auto`) or waits for an
 * advance (`manual`). Loops, so a gate of 0 % with no soak starts several waves in one step.
 */
export function progressWaves(state: {
  policy: RolloutPolicy;
  now: Date;
  startAt: Date | null;
  currentWave: number | null;
  waves: readonly WaveState[];
}): WaveProgress {
  const { policy, now } = state;
  const waves = state.waves.map((wave) => ({ ...wave }));
  const started: number[] = [];
  const passed: number[] = [];
  const at = now.toISOString();
  let currentWave = state.currentWave;
  const result = (waitingFor: WaveProgress["waitingFor"], nextActionAt: Date | null): WaveProgress => ({
    currentWave,
    waves,
    started,
    passed,
    waitingFor,
    nextActionAt,
  });

  if (currentWave === null) {
    if (state.startAt && state.startAt > now) return result("schedule", state.startAt);
    currentWave = 0;
    waves[0]!.startedAt = at;
    started.push(0);
  }
  for (;;) {
    const wave = waves[currentWave]!;
    if (!wave.passedAt) {
      if (wave.counts.succeeded < gateNeed(policy, wave.size)) return result("gate", null);
      wave.passedAt = at;
      passed.push(currentWave);
    }
    if (currentWave === waves.length - 1) return result(null, null);
    if (policy.advance === "manual") return result("approval", null);
    const soakEnds = new Date(Date.parse(wave.passedAt) + policy.gate.soakSeconds * 1000);
    if (soakEnds > now) return result("soak", soakEnds);
    currentWave += 1;
    waves[currentWave]!.startedAt = at;
    started.push(currentWave);
  }
}

/** The next wave, started now by a manager's advance (skipping gate, soak and approval). */
export function advanceWave(
  waves: readonly WaveState[],
  currentWave: number | null,
  now: Date,
): { currentWave: number; waves: WaveState[] } | null {
  const next = currentWave === null ? 0 : currentWave + 1;
  if (next >= waves.length) return null;
  const copy = waves.map((wave) => ({ ...wave }));
  copy[next]!.startedAt = now.toISOString();
  return { currentWave: next, waves: copy };
}

export interface ReleaseBudget {
  /** How many devices may be released now (Infinity: no limit). */
  budget: number;
  /** Why none may be released, when none may. */
  blockedBy: "window" | "rate" | null;
  /** When the budget next grows (a window opens, a minute-old release ages out). */
  nextAt: Date | null;
  /** The release log without entries older than a minute. */
  log: ReleaseLog;
}

/** Windows and the rate limit: how many releases are allowed now ("at most N in any minute"). */
export function releaseBudget(policy: RolloutPolicy, releaseLog: ReleaseLog | null, now: Date): ReleaseBudget {
  const log = (releaseLog ?? []).filter(([at]) => at > now.getTime() - MINUTE);
  const window = windowState(policy.schedule?.windows, now);
  if (!window.open) return { budget: 0, blockedBy: "window", nextAt: window.opensAt, log };
  if (!policy.rate) return { budget: Infinity, blockedBy: null, nextAt: null, log };
  const used = log.reduce((sum, [, devices]) => sum + devices, 0);
  const budget = Math.max(0, policy.rate.maxPerMinute - used);
  // The oldest release of the last minute ages out first; the budget grows then.
  const nextAt = log.length ? new Date(log[0]![0] + MINUTE) : null;
  return { budget, blockedBy: budget === 0 ? "rate" : null, nextAt, log };
}

/** The log after releasing `devices` now. */
export const logRelease = (log: ReleaseLog, now: Date, devices: number): ReleaseLog =>
  devices > 0 ? [...log, [now.getTime(), devices]] : log;

const earliest = (...dates: (Date | null | undefined)[]): Date | null =>
  dates.reduce<Date | null>((min, date) => (date && (!min || date < min) ? date : min), null);

/**
 * What a staged rollout waits for after a step, and when the controller must look again. Queued
 * devices of started waves come first (the window, the rate, their retry backoff hold them), then
 * the waves' own progress (schedule, gate, soak, approval). A device timeout only sets the time.
 */
export function waitingSummary(input: {
  paused: boolean;
  progress: Pick<WaveProgress, "waitingFor" | "nextActionAt">;
  /** Queued devices of started waves that could be released now, after this step's releases. */
  dueLeft: number;
  budget: Pick<ReleaseBudget, "blockedBy" | "nextAt">;
  nextRetryAt: Date | null;
  nextTimeoutAt: Date | null;
}): { waitingFor: WaitingFor | null; nextActionAt: Date | null } {
  const { progress, budget } = input;
  if (input.paused) return { waitingFor: null, nextActionAt: input.nextTimeoutAt };
  if (progress.waitingFor === "schedule") return { waitingFor: "schedule", nextActionAt: progress.nextActionAt };
  const progressAt = progress.nextActionAt;
  if (input.dueLeft > 0) {
    const reason = budget.blockedBy ?? "rate";
    return { waitingFor: reason, nextActionAt: earliest(budget.nextAt, progressAt, input.nextRetryAt, input.nextTimeoutAt) };
  }
  if (input.nextRetryAt && progress.waitingFor === "gate")
    return { waitingFor: "retry", nextActionAt: earliest(input.nextRetryAt, input.nextTimeoutAt) };
  return {
    waitingFor: progress.waitingFor,
    nextActionAt: earliest(progressAt, input.nextRetryAt, input.nextTimeoutAt),
  };
}
