import type { Database, DeviceRolloutState, RolloutStatusRow, Transaction } from "@signalbeam/db";
import { sql } from "@signalbeam/db";
import type { WriteDeps } from "../deps";
import { DomainError } from "../shared/errors";
import { writeChange } from "../shared/writeChange";
import { checkTransition } from "./deviceTransitions";
import { countsOf, lockRollout, saveRolloutCounts } from "./rolloutRepository";
import { type DeviceCounts, moveCounts } from "./rolloutStatus";

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
  counts: DeviceCounts;
  succeededDeviceIds: string[];
}

/**
 * Pure: what a sequence of reports for one rollout does to its rows and counters, in order.
 * Repeating the current state is a no-op; anything illegal is a 409 carrying the current state
 * (e.g. `cancelled` after a cancel), which never gets overwritten; an unknown device is a 404.
 */
export function planReports(
  rows: ReadonlyMap<string, RolloutStatusRow>,
  reports: readonly DeviceReport[],
  counts: DeviceCounts,
  now: Date,
): ReportPlan {
  const current = new Map(rows);
  const changed = new Map<string, RolloutStatusRow>();
  const succeeded = new Set<string>();
  const outcomes = reports.map((report): ReportOutcome => {
    const row = current.get(report.deviceId);
    if (!row)
      return {
        ok: false,
        error: new DomainError("NOT_FOUND", `device ${report.deviceId} is not part of rollout ${report.rolloutId}`),
      };
    const verdict = checkTransition(row.status, report.status);
    if (verdict.kind === "noop") return { ok: true, row };
    if (verdict.kind === "reject")
      return {
        ok: false,
        error: new DomainError("CONFLICT", `${verdict.message} (device ${report.deviceId} in rollout ${report.rolloutId})`, {
          currentStatus: row.status,
        }),
      };
    const next: RolloutStatusRow = {
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
    counts = moveCounts(counts, row.status, report.status);
    current.set(report.deviceId, next);
    changed.set(report.deviceId, next);
    if (report.status === "succeeded") succeeded.add(report.deviceId);
    return { ok: true, row: next };
  });
  return { outcomes, changed, counts, succeededDeviceIds: [...succeeded] };
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
  return writeChange(deps, async (tx, change) => {
    const { now } = change;
    const rollout = await lockRollout(tx, rolloutId);
    const deviceIds = [...new Set(reports.map((report) => report.deviceId))];
    const rows = await tx
      .selectFrom("rollout_statuses")
      .selectAll()
      .where("rollout_id", "=", rolloutId)
      .where("device_id", "=", sql<string>`ANY(${deviceIds}::text[])`)
      .execute();
    const plan = planReports(new Map(rows.map((row) => [row.device_id, row])), reports, countsOf(rollout), now);
    if (plan.changed.size === 0) return plan.outcomes;
    await writeRows(tx, rolloutId, [...plan.changed.values()]);
    await saveRolloutCounts(tx, rollout, plan.counts, now);
    change.rollout(rolloutId);
    if (plan.succeededDeviceIds.length)
      await tx
        .updateTable("devices")
        .set({ reported_bundle_id: rollout.bundle_id, reported_version: rollout.version })
        .where("id", "=", sql<string>`ANY(${plan.succeededDeviceIds}::text[])`)
        .execute();
    return plan.outcomes;
  });
}

async function writeRows(tx: Transaction<Database>, rolloutId: string, rows: RolloutStatusRow[]) {
  await sql`
    UPDATE rollout_statuses rs
    SET status = v.status::text, started_at = v.started_at, completed_at = v.completed_at,
        error_message = v.error_message, updated_at = v.updated_at
    FROM unnest(
      ${rows.map((row) => row.device_id)}::text[],
      ${rows.map((row) => row.status)}::text[],
      ${rows.map((row) => row.started_at)}::timestamptz[],
      ${rows.map((row) => row.completed_at)}::timestamptz[],
      ${rows.map((row) => row.error_message)}::text[],
      ${rows.map((row) => row.updated_at)}::timestamptz[]
    ) AS v(device_id, status, started_at, completed_at, error_message, updated_at)
    WHERE rs.rollout_id = ${rolloutId} AND rs.device_id = v.device_id
  `.execute(tx);
}

/** One report, on its own: a batch of one. */
export async function reportDeviceStatus(deps: WriteDeps, report: DeviceReport): Promise<RolloutStatusRow> {
  const [outcome] = await applyReports(deps, report.rolloutId, [report]);
  if (!outcome!.ok) throw outcome!.error;
  return outcome!.row;
}
