import type { Database, DeviceRolloutState, RolloutStatusRow, Transaction } from "@signalbeam/db";
import { sql } from "@signalbeam/db";
import type { WriteDeps } from "../deps";
import { DomainError } from "../shared/errors";
import { CONTROLLER_ACTOR } from "../shared/changeLog";
import { writeChange } from "../shared/writeChange";
import { checkTransition } from "./deviceTransitions";
import { lockRollout, saveRolloutCounts, tallyOf } from "./rolloutRepository";
import { applyMoves, type Tally } from "./rolloutStatus";

export interface DeviceReport {
  rolloutId: string;
  deviceId: string;
  status: Extract<DeviceRolloutState, "updating" | "succeeded" | "failed">;
  errorMessage?: string | undefined;
}

export type ReportOutcome = { ok: true; row: RolloutStatusRow } | { ok: false; error: DomainError };

export interface ReportPlan {
  outcomes: ReportOutcome[];
  /** The rows to write, in their final state. */
  changed: Map<string, RolloutStatusRow>;
  tally: Tally;
  succeededDeviceIds: string[];
  /** Devices whose failure the retry policy answered with another attempt (now queued). */
  retried: RolloutStatusRow[];
}

/** A rollout's automatic retry policy, if it has one. */
export type RetryPolicy = { maxAttempts: number; backoffSeconds: number } | undefined;

/**
 * Pure: what a sequence of reports for one rollout does to its rows and counters, in order.
 * Repeating the current state is a no-op; anything illegal is a 409 carrying the current state
 * (e.g. `cancelled` after a cancel), which never gets overwritten; an unknown device is a 404.
 */
export function planReports(
  rows: ReadonlyMap<string, RolloutStatusRow>,
  reports: readonly DeviceReport[],
  tally: Tally,
  now: Date,
  retry?: RetryPolicy,
): ReportPlan {
  const current = new Map(rows);
  const changed = new Map<string, RolloutStatusRow>();
  const succeeded = new Set<string>();
  const retried = new Map<string, RolloutStatusRow>();
  const outcomes = reports.map((report): ReportOutcome => {
    const row = current.get(report.deviceId);
    if (!row)
      return {
        ok: false,
        error: new DomainError("NOT_FOUND", `device ${report.deviceId} is not part of rollout ${report.rolloutId}`),
      };
    // A failure answered with a retry is already recorded: repeating the report is a no-op too.
    const repeatedFailure = row.status === "queued" && row.next_attempt_at !== null && report.status === "failed";
    const verdict = repeatedFailure ? ({ kind: "noop" } as const) : checkTransition(row.status, report.status);
    if (verdict.kind === "noop") return { ok: true, row };
    if (verdict.kind === "reject")
      return {
        ok: false,
        error: new DomainError("CONFLICT", `${verdict.message} (device ${report.deviceId} in rollout ${report.rolloutId})`, {
          currentStatus: row.status,
        }),
      };
    let next: RolloutStatusRow = {
      ...row,
      status: report.status,
      updated_at: now,
      ...(report.status === "updating"
        ? { started_at: now }
        : {
            completed_at: now,
            error_message: report.status === "failed" ? (report.errorMessage ?? "failed (the agent gave no reason)") : null,
          }),
    };
    // "A device waiting for an automatic retry is not failed yet" (docs/DESIGN.md): with attempts
    // left it goes straight to queued, released again after backoff × 2^(attempt − 1).
    if (next.status === "failed" && retry && row.attempt < retry.maxAttempts) {
      next = {
        ...next,
        status: "queued",
        next_attempt_at: new Date(now.getTime() + retry.backoffSeconds * 1000 * 2 ** (row.attempt - 1)),
      };
      retried.set(report.deviceId, next);
    }
    tally = applyMoves(tally, [{ wave: row.wave, from: row.status, to: next.status, devices: 1 }]);
    current.set(report.deviceId, next);
    changed.set(report.deviceId, next);
    if (report.status === "succeeded") succeeded.add(report.deviceId);
    return { ok: true, row: next };
  });
  return { outcomes, changed, tally, succeededDeviceIds: [...succeeded], retried: [...retried.values()] };
}

/**
 * Applies reports for one rollout in one transaction and a fixed number of statements, however
 * many there are: the rollout row lock (which serializes its counters) is taken once per batch.
 */
export async function applyReports(
  deps: WriteDeps,
  rolloutId: string,
  reports: readonly DeviceReport[],
): Promise<ReportOutcome[]> {
  let finished: RolloutStatusRow[] = [];
  const outcomes = await writeChange(deps, async (tx, change) => {
    finished = [];
    const { now } = change;
    const rollout = await lockRollout(tx, rolloutId);
    const deviceIds = [...new Set(reports.map((report) => report.deviceId))];
    const rows = await tx
      .selectFrom("rollout_statuses")
      .selectAll()
      .where("rollout_id", "=", rolloutId)
      .where("device_id", "=", sql<string>`ANY(${deviceIds}::text[])`)
      .execute();
    const plan = planReports(
      new Map(rows.map((row) => [row.device_id, row])),
      reports,
      tallyOf(rollout),
      now,
      rollout.policy?.retry,
    );
    if (plan.changed.size === 0) return plan.outcomes;
    await writeRows(tx, rolloutId, [...plan.changed.values()]);
    finished = [...plan.changed.values()].filter((row) => row.status !== "updating");
    await saveRolloutCounts(tx, change, rollout, plan.tally, now, {}, { type: "agent", id: null, name: "agents" });
    change.rollout(rolloutId);
    for (const row of plan.retried)
      change.event({
        type: "device.retry_scheduled",
        rolloutId,
        deviceId: row.device_id,
        actor: CONTROLLER_ACTOR,
        data: { attempt: row.attempt + 1, nextAttemptAt: row.next_attempt_at!.toISOString(), error: row.error_message },
      });
    // What is still failed after that failed for good.
    for (const row of plan.changed.values())
      if (row.status === "failed")
        change.event({
          type: "device.failed",
          rolloutId,
          deviceId: row.device_id,
          actor: { type: "agent", id: row.device_id, name: row.device_id },
          data: { attempt: row.attempt, error: row.error_message },
        });
    if (plan.succeededDeviceIds.length)
      await tx
        .updateTable("devices")
        .set({ reported_bundle_id: rollout.bundle_id, reported_version: rollout.version })
        .where("id", "=", sql<string>`ANY(${plan.succeededDeviceIds}::text[])`)
        .execute();
    return plan.outcomes;
  });
  // Counted once committed (a retried transaction must not count twice). A failure answered with
  // a retry (queued) is a failed update too.
  for (const row of finished)
    deps.metrics.deviceFinished(
      row.status === "succeeded" ? "succeeded" : "failed",
      row.started_at && row.completed_at ? (row.completed_at.getTime() - row.started_at.getTime()) / 1000 : null,
    );
  return outcomes;
}

async function writeRows(tx: Transaction<Database>, rolloutId: string, rows: RolloutStatusRow[]) {
  await sql`
    UPDATE rollout_statuses rs
    SET status = v.status::text, started_at = v.started_at, completed_at = v.completed_at,
        error_message = v.error_message, updated_at = v.updated_at, next_attempt_at = v.next_attempt_at
    FROM unnest(
      ${rows.map((row) => row.device_id)}::text[],
      ${rows.map((row) => row.status)}::text[],
      ${rows.map((row) => row.started_at)}::timestamptz[],
      ${rows.map((row) => row.completed_at)}::timestamptz[],
      ${rows.map((row) => row.error_message)}::text[],
      ${rows.map((row) => row.updated_at)}::timestamptz[],
      ${rows.map((row) => row.next_attempt_at)}::timestamptz[]
    ) AS v(device_id, status, started_at, completed_at, error_message, updated_at, next_attempt_at)
    WHERE rs.rollout_id = ${rolloutId} AND rs.device_id = v.device_id
  `.execute(tx);
}

/** One report, on its own: a batch of one. */
export async function reportDeviceStatus(deps: WriteDeps, report: DeviceReport): Promise<RolloutStatusRow> {
  const [outcome] = await applyReports(deps, report.rolloutId, [report]);
  if (!outcome!.ok) throw outcome!.error;
  return outcome!.row;
}
