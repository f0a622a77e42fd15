import type { Database, RolloutPolicy, RolloutRow, Transaction } from "@signalbeam/db";
import { sql } from "@signalbeam/db";
import { withoutNestedLoops } from "../../shared/bulkJoin";
import { CONTROLLER_ACTOR, type ChangeEvent } from "../../shared/changeLog";
import type { Change } from "../../shared/writeChange";
import { cancelInTransaction } from "../cancelRollout";
import { rollbackInTransaction } from "../rollbackRollout";
import { lockRollout, saveRolloutCounts, tallyOf } from "../rolloutRepository";
import { applyMoves, type Move, type Tally } from "../rolloutStatus";
import { breachReason, logRelease, progressWaves, releaseBudget, thresholdBreach, waitingSummary } from "./controllerCore";

const isOver = (row: RolloutRow) => row.status === "cancelled" || row.status === "completed" || row.status === "failed";

/** Moves grouped by wave, from rows that each moved one device. */
const movesOf = (rows: readonly { wave: number | null }[], from: Move["from"], to: Move["to"]): Move[] => {
  const perWave = new Map<number | null, number>();
  for (const row of rows) perWave.set(row.wave, (perWave.get(row.wave) ?? 0) + 1);
  return [...perWave].map(([wave, devices]) => ({ wave, from, to, devices }));
};

/**
 * One controller action on one staged rollout, in the caller's transaction, under the rollout's
 * row lock (docs/DESIGN.md, "Progressive delivery"), in this order:
 *   1. devices updating longer than the device timeout → failed ("timed out after N s");
 *   2. failed devices with attempts left → queued, released again after their backoff;
 *   3. the failure threshold (before any gate): pause, abort or roll back;
 *   4. the schedule, gates, soak and approval start and pass waves;
 *   5. queued devices of started waves are released in their stable order, as far as the
 *      maintenance windows and the rate limit allow;
 *   6. what it waits for next, and when the controller must look again.
 * Everything is decided on the locked row and written with its revision (see saveRolloutCounts),
 * so two controllers — or a controller and a manager — never apply one action twice. Returns the
 * rollout as written.
 */
export async function runControllerStep(tx: Transaction<Database>, change: Change, rolloutId: string): Promise<RolloutRow> {
  const { now } = change;
  const row = await lockRollout(tx, rolloutId);
  const policy = row.policy;
  if (!policy || isOver(row)) {
    if (row.next_action_at === null) return row;
    return saveRolloutCounts(tx, change, row, tallyOf(row), now, { next_action_at: null, waiting_for: null });
  }
  let tally = tallyOf(row);
  const events: ChangeEvent[] = [];
  const device = (type: ChangeEvent["type"], deviceId: string, data: Record<string, unknown>) =>
    events.push({ type, rolloutId, deviceId, actor: CONTROLLER_ACTOR, data });

  // 1. Timeouts.
  if (policy.deviceTimeoutSeconds) {
    const seconds = policy.deviceTimeoutSeconds;
    const timedOut = await sql<{ device_id: string; wave: number | null; attempt: number }>`
      UPDATE rollout_statuses
      SET status = 'failed', completed_at = ${now}, updated_at = ${now}, error_message = ${`timed out after ${seconds} s`}
      WHERE rollout_id = ${rolloutId} AND status = 'updating' AND started_at <= ${new Date(now.getTime() - seconds * 1000)}
      RETURNING device_id, wave, attempt
    `.execute(tx);
    tally = applyMoves(tally, movesOf(timedOut.rows, "updating", "failed"));
    for (const timed of timedOut.rows) {
      device("device.timed_out", timed.device_id, { attempt: timed.attempt, timeoutSeconds: seconds });
      if (!policy.retry || timed.attempt >= policy.retry.maxAttempts)
        device("device.failed", timed.device_id, { attempt: timed.attempt, error: `timed out after ${seconds} s` });
    }
  }

  // 2. Automatic retries: only devices this rollout still owns (a newer rollout may have taken a
  // failed one). Their desired state keeps naming this rollout and the failed attempt — which their
  // agents already recorded — so nothing runs meanwhile, and a device that finished late is not
  // sent back to its old version only to be upgraded again; the release raises the attempt.
  if (policy.retry && tally.counts.failed > 0) {
    const retried = await sql<{ device_id: string; wave: number | null; attempt: number; next_attempt_at: Date }>`
      UPDATE rollout_statuses rs
      SET status = 'queued', updated_at = ${now},
          next_attempt_at = ${now}::timestamptz + make_interval(secs => ${policy.retry.backoffSeconds}::double precision * power(2, rs.attempt - 1))
      FROM device_desired_states dd
      WHERE rs.rollout_id = ${rolloutId} AND rs.status = 'failed' AND rs.attempt < ${policy.retry.maxAttempts}
        AND dd.device_id = rs.device_id AND dd.rollout_id = rs.rollout_id
      RETURNING rs.device_id, rs.wave, rs.attempt, rs.next_attempt_at
    `.execute(tx);
    tally = applyMoves(tally, movesOf(retried.rows, "failed", "queued"));
    for (const retry of retried.rows)
      device("device.retry_scheduled", retry.device_id, {
        attempt: retry.attempt + 1,
        nextAttemptAt: new Date(retry.next_attempt_at).toISOString(),
      });
  }

  // 3. The failure threshold, before any gate.
  const paused = row.paused_at !== null;
  if (!paused && row.current_wave !== null) {
    const breach = thresholdBreach(policy, await finishedSince(tx, row, tally));
    if (breach) return onBreach(tx, change, row, tally, events, policy, breach);
  }

  // 4. Waves.
  const progress = paused
    ? { currentWave: row.current_wave, waves: tally.waves!, started: [], passed: [], waitingFor: null, nextActionAt: null }
    : progressWaves({ policy, now, startAt: row.start_at, currentWave: row.current_wave, waves: tally.waves! });
  tally = { counts: tally.counts, waves: progress.waves };
  for (const index of progress.passed)
    events.push({
      type: "rollout.wave_passed",
      rolloutId,
      actor: CONTROLLER_ACTOR,
      data: {
        wave: index,
        name: progress.waves[index]!.name,
        ...progress.waves[index]!.counts,
        size: progress.waves[index]!.size,
      },
    });
  for (const index of progress.started)
    events.push({
      type: "rollout.wave_started",
      rolloutId,
      actor: CONTROLLER_ACTOR,
      data: { wave: index, name: progress.waves[index]!.name, size: progress.waves[index]!.size },
    });

  // 5. Releases.
  const budget = releaseBudget(policy, row.release_log, now);
  let releaseLog = budget.log;
  const releasedDevices: string[] = [];
  if (!paused && progress.currentWave !== null && budget.budget > 0) {
    const released = await releaseQueued(tx, row, progress.currentWave, budget.budget, now);
    tally = applyMoves(tally, movesOf(released, "queued", "pending"));
    releaseLog = logRelease(releaseLog, now, released.length);
    for (const { device_id } of released) releasedDevices.push(device_id);
  }

  // 6. What next (the budget as it stands after this step's releases).
  // The counters say whether anything is left to look for: a step on a report (most steps) then
  // costs no query beyond the row lock and the write.
  const budgetAfter = releaseBudget(policy, releaseLog, now);
  const queuedInStarted =
    progress.currentWave === null
      ? 0
      : tally.waves!.slice(0, progress.currentWave + 1).reduce((sum, wave) => sum + wave.counts.queued, 0);
  const queue = queuedInStarted > 0 ? await queueState(tx, rolloutId, progress.currentWave!, now) : null;
  const timeouts = policy.deviceTimeoutSeconds && tally.counts.updating > 0 ? await nextTimeout(tx, rolloutId, policy) : null;
  const summary = waitingSummary({
    paused,
    progress,
    dueLeft: queue?.due ?? 0,
    budget: budgetAfter,
    // Devices left behind with budget to spare were skipped (a newer rollout held them): look again in a second.
    nextRetryAt: queue && queue.due > 0 && budgetAfter.budget > 0 ? new Date(now.getTime() + 1000) : (queue?.nextRetryAt ?? null),
    nextTimeoutAt: timeouts,
  });
  for (const event of events) change.event(event);
  if (releasedDevices.length) change.desiredStates(releasedDevices);
  change.rollout(rolloutId);
  return saveRolloutCounts(tx, change, row, tally, now, {
    current_wave: progress.currentWave,
    waiting_for: summary.waitingFor,
    next_action_at: summary.nextActionAt,
    release_log: JSON.stringify(releaseLog),
  });
}

/** Succeeded and failed devices the threshold counts: all of them, or those finished since a resume. */
async function finishedSince(tx: Transaction<Database>, row: RolloutRow, tally: Tally) {
  if (!row.threshold_since) return { succeeded: tally.counts.succeeded, failed: tally.counts.failed };
  const counted = await sql<{ succeeded: number; failed: number }>`
    SELECT count(*) FILTER (WHERE status = 'succeeded')::int AS succeeded, count(*) FILTER (WHERE status = 'failed')::int AS failed
    FROM rollout_statuses
    WHERE rollout_id = ${row.id} AND status IN ('succeeded', 'failed') AND completed_at > ${row.threshold_since}
  `.execute(tx);
  return counted.rows[0]!;
}

async function onBreach(
  tx: Transaction<Database>,
  change: Change,
  row: RolloutRow,
  tally: Tally,
  events: ChangeEvent[],
  policy: RolloutPolicy,
  breach: { failed: number; completed: number; percent: number },
): Promise<RolloutRow> {
  const { now } = change;
  const action = policy.failureThreshold!.action;
  const reason = breachReason(policy, breach);
  events.push({
    type: "rollout.threshold_breached",
    rolloutId: row.id,
    actor: CONTROLLER_ACTOR,
    data: { ...breach, threshold: policy.failureThreshold, action },
  });
  for (const event of events) change.event(event);
  change.rollout(row.id);
  // Write what steps 1 and 2 did first; abort and rollback then work from that row.
  // Paused, released devices carry on: their timeouts still apply.
  const saved = await saveRolloutCounts(tx, change, row, tally, now, {
    ...(action === "pause" ? { paused_at: now, paused_reason: reason } : {}),
    waiting_for: null,
    next_action_at: action === "pause" && policy.deviceTimeoutSeconds ? await nextTimeout(tx, row.id, policy) : null,
  });
  if (action === "pause") {
    change.event({ type: "rollout.paused", rolloutId: row.id, actor: CONTROLLER_ACTOR, data: { reason } });
    return saved;
  }
  if (action === "abort") return cancelInTransaction(tx, change, CONTROLLER_ACTOR, row.id, reason);
  await rollbackInTransaction(tx, change, CONTROLLER_ACTOR, row.id, reason);
  return lockRollout(tx, row.id);
}

/**
 * Releases up to `limit` queued devices of started waves whose retry backoff (if any) is over, in
 * the waves' stable order: `queued → pending`, a retry's attempt raised, the desired state pointed
 * here. A device whose desired state another writer holds locked right now (a newer rollout
 * claiming it) is skipped, not waited for: the controller holds this rollout's row lock, and
 * waiting under it for a lock that writer holds before wanting ours could deadlock. It is taken at
 * the next step, if it is still queued here.
 */
async function releaseQueued(tx: Transaction<Database>, row: RolloutRow, currentWave: number, limit: number, now: Date) {
  const result = await withoutNestedLoops(tx, () =>
    sql<{ device_id: string; wave: number | null }>`
    WITH picked AS (
      SELECT rs.device_id FROM rollout_statuses rs
      WHERE rs.rollout_id = ${row.id} AND rs.status = 'queued' AND rs.wave <= ${currentWave}
        AND (rs.next_attempt_at IS NULL OR rs.next_attempt_at <= ${now})
      ORDER BY rs.wave, rs.release_order
      ${Number.isFinite(limit) ? sql`LIMIT ${limit}` : sql``}
    ), locked AS (
      SELECT dd.device_id FROM device_desired_states dd JOIN picked ON picked.device_id = dd.device_id
      FOR UPDATE OF dd SKIP LOCKED
    ), released AS (
      UPDATE rollout_statuses rs
      SET status = 'pending', updated_at = ${now}, started_at = NULL, completed_at = NULL, error_message = NULL,
          attempt = CASE WHEN rs.next_attempt_at IS NULL THEN rs.attempt ELSE rs.attempt + 1 END,
          next_attempt_at = NULL
      FROM locked
      WHERE rs.rollout_id = ${row.id} AND rs.device_id = locked.device_id AND rs.status = 'queued'
      RETURNING rs.device_id, rs.wave
    ), pointed AS (
      UPDATE device_desired_states dd
      SET rollout_id = ${row.id}, bundle_id = ${row.bundle_id}, version = ${row.version}, updated_at = ${now}
      FROM released WHERE dd.device_id = released.device_id
    )
    SELECT device_id, wave FROM released
  `.execute(tx),
  );
  return result.rows;
}

/** Queued devices of started waves: how many could go now, and when the next retry backoff ends. */
async function queueState(tx: Transaction<Database>, rolloutId: string, currentWave: number, now: Date) {
  const result = await sql<{ due: number; next_retry_at: Date | null }>`
    SELECT count(*) FILTER (WHERE next_attempt_at IS NULL OR next_attempt_at <= ${now})::int AS due,
           min(next_attempt_at) FILTER (WHERE next_attempt_at > ${now}) AS next_retry_at
    FROM rollout_statuses
    WHERE rollout_id = ${rolloutId} AND status = 'queued' AND wave <= ${currentWave}
  `.execute(tx);
  const state = result.rows[0]!;
  return { due: state.due, nextRetryAt: state.next_retry_at };
}

/** When the device that has been updating longest times out. */
async function nextTimeout(tx: Transaction<Database>, rolloutId: string, policy: RolloutPolicy): Promise<Date | null> {
  const result = await sql<{ oldest: Date | null }>`
    SELECT min(started_at) AS oldest FROM rollout_statuses WHERE rollout_id = ${rolloutId} AND status = 'updating'
  `.execute(tx);
  const oldest = result.rows[0]?.oldest;
  return oldest ? new Date(new Date(oldest).getTime() + policy.deviceTimeoutSeconds! * 1000) : null;
}
