import type { Database, Kysely, RolloutRow, Transaction } from "@signalbeam/db";
import { sql } from "@signalbeam/db";
import { notFound } from "../shared/errors";
import { type PageRequest, pageOffset } from "../shared/pagination";
import { iso, isoOrNull } from "../shared/schemas";
import type { Change } from "../shared/writeChange";
import { CONTROLLER_ACTOR, type EventActor } from "../shared/changeLog";
import type { DeviceSort, RolloutDto } from "./rolloutSchemas";
import { type DeviceCounts, nextRolloutState, type Tally } from "./rolloutStatus";
import type { DeviceRolloutState, RolloutState, RolloutUpdate } from "@signalbeam/db";

type Db = Kysely<Database> | Transaction<Database>;

export const countsOf = (row: RolloutRow): DeviceCounts => ({
  queued: row.queued,
  pending: row.pending,
  updating: row.updating,
  succeeded: row.succeeded,
  failed: row.failed,
  cancelled: row.cancelled,
});

export const tallyOf = (row: RolloutRow): Tally => ({ counts: countsOf(row), waves: row.waves });

/**
 * Every column but `target_ids`: reads and writes never fetch a target list (up to ~1 MB) they do
 * not need; those that do get it from the target-list cache, which reads it once per rollout.
 */
export const rolloutColumns = [
  "id",
  "bundle_id",
  "version",
  "target_type",
  "target_count",
  "status",
  "cancel_requested_at",
  "total",
  "queued",
  "pending",
  "updating",
  "succeeded",
  "failed",
  "cancelled",
  "created_at",
  "updated_at",
  "completed_at",
  "policy",
  "kind",
  "rollback_of",
  "rolled_back_by",
  "waves",
  "current_wave",
  "start_at",
  "paused_at",
  "paused_reason",
  "threshold_since",
  "waiting_for",
  "next_action_at",
  "release_log",
  "revision",
] as const satisfies readonly (keyof RolloutRow)[];

/** The API's view of a rollout; `targetIds` only when the caller asked for the list (the REST default). */
const progressOf = (counts: DeviceCounts, total: number) => ({
  total,
  queued: counts.queued,
  pending: counts.pending,
  inProgress: counts.updating,
  succeeded: counts.succeeded,
  failed: counts.failed,
  cancelled: counts.cancelled,
});

export function toRolloutDto(row: RolloutRow, targetIds?: readonly string[]): RolloutDto {
  return {
    id: row.id,
    bundleId: row.bundle_id,
    version: row.version,
    targetType: row.target_type,
    status: row.status,
    progress: progressOf(countsOf(row), row.total),
    createdAt: iso(row.created_at),
    updatedAt: iso(row.updated_at),
    completedAt: isoOrNull(row.completed_at),
    kind: row.kind,
    policy: row.policy,
    rollbackOf: row.rollback_of,
    rolledBackBy: row.rolled_back_by ?? [],
    currentWave: row.current_wave,
    waves: (row.waves ?? []).map((wave, index) => ({
      index,
      name: wave.name,
      size: wave.size,
      startedAt: wave.startedAt,
      passedAt: wave.passedAt,
      progress: progressOf(wave.counts, wave.size),
    })),
    pausedReason: row.paused_reason,
    waitingFor: row.waiting_for,
    nextActionAt: isoOrNull(row.next_action_at),
    targetCount: row.target_count,
    ...(targetIds ? { targetIds: targetIds as string[] } : {}),
  };
}

export async function findRollout(db: Db, rolloutId: string): Promise<RolloutRow> {
  const row = await db.selectFrom("rollouts").select(rolloutColumns).where("id", "=", rolloutId).executeTakeFirst();
  if (!row) throw notFound("rollout", rolloutId);
  return row;
}

/** Every writer takes the rollout row lock first: it serializes counter updates per rollout. */
export async function lockRollout(tx: Transaction<Database>, rolloutId: string): Promise<RolloutRow> {
  const row = await tx.selectFrom("rollouts").select(rolloutColumns).where("id", "=", rolloutId).forUpdate().executeTakeFirst();
  if (!row) throw notFound("rollout", rolloutId);
  return row;
}

/** Controller and manager fields a write may change beside the counters. */
export type RolloutPatch = Pick<
  RolloutUpdate,
  | "cancel_requested_at"
  | "current_wave"
  | "paused_at"
  | "paused_reason"
  | "threshold_since"
  | "waiting_for"
  | "next_action_at"
  | "release_log"
  | "rolled_back_by"
> & { waves?: never };

const wakingStates: readonly DeviceRolloutState[] = ["succeeded", "failed", "queued"];

/**
 * Writes new counters (the rollout's and its waves') together with the status and completedAt
 * they imply, and whatever controller fields `patch` sets; every writer of a rollout row goes
 * through here, so these rules hold on every path:
 * - a staged rollout in which a device finished gets the controller's attention now (gates,
 *   thresholds and retries are decided on final reports), and one in which a device started
 *   updating gets it by that device's timeout at the latest;
 * - reaching `completed` or `failed` writes that event to the change log.
 */
export async function saveRolloutCounts(
  tx: Transaction<Database>,
  change: Pick<Change, "event" | "wakeController">,
  row: RolloutRow,
  tally: Tally,
  now: Date,
  patch: RolloutPatch = {},
  actor: EventActor = CONTROLLER_ACTOR,
): Promise<RolloutRow> {
  const merged = { ...row, ...patch } as RolloutRow;
  const next = nextRolloutState(
    tally.counts,
    {
      cancelRequested: merged.cancel_requested_at !== null,
      paused: merged.paused_at !== null,
      scheduled: merged.policy !== null && merged.current_wave === null,
    },
    row.completed_at,
    now,
  );
  let nextActionAt = merged.next_action_at;
  // The controller and manager actions say when to look next; other writers (reports, supersede)
  // get the rule below.
  if (patch.next_action_at === undefined && row.policy && next.status !== "cancelled") {
    // A device finished, or failed with attempts left (queued for its retry): gates, thresholds
    // and retries are the controller's to decide.
    if (wakingStates.some((state) => tally.counts[state] > row[state])) {
      nextActionAt = now;
      change.wakeController(row.id);
    } else if (row.policy.deviceTimeoutSeconds && tally.counts.updating > row.updating) {
      const deadline = new Date(now.getTime() + row.policy.deviceTimeoutSeconds * 1000);
      if (!nextActionAt || nextActionAt > deadline) nextActionAt = deadline;
    }
  }
  if (next.status !== row.status && (next.status === "completed" || next.status === "failed"))
    change.event({
      type: next.status === "completed" ? "rollout.completed" : "rollout.failed",
      rolloutId: row.id,
      actor,
      data: { progress: tally.counts },
    });
  return (
    tx
      .updateTable("rollouts")
      .set({
        ...tally.counts,
        ...patch,
        ...(tally.waves ? { waves: JSON.stringify(tally.waves) } : {}),
        next_action_at:
          next.status === "cancelled" || next.status === "completed" || next.status === "failed" ? null : nextActionAt,
        status: next.status,
        completed_at: next.completedAt,
        updated_at: now,
        revision: sql<number>`revision + 1`,
      })
      .where("id", "=", row.id)
      // Every writer holds the row lock and read `row` under it, so this always matches: the
      // compare-and-set is the proof that no action was decided on a state someone else changed.
      .where("revision", "=", row.revision)
      .returning(rolloutColumns)
      .executeTakeFirstOrThrow(() => new Error(`rollout ${row.id} changed under its lock (revision ${row.revision})`))
  );
}

export async function listRollouts(
  db: Db,
  filter: { bundleId?: string | undefined; status?: RolloutState | undefined },
  page: PageRequest,
): Promise<{ rows: RolloutRow[]; totalCount: number }> {
  let query = db.selectFrom("rollouts");
  if (filter.bundleId) query = query.where("bundle_id", "=", filter.bundleId);
  if (filter.status) query = query.where("status", "=", filter.status);
  const [rows, count] = await Promise.all([
    query
      .select(rolloutColumns)
      .orderBy("created_at", "desc")
      .orderBy("id", "desc")
      .limit(page.pageSize)
      .offset(pageOffset(page))
      .execute(),
    query.select((eb) => eb.fn.countAll<number>().as("count")).executeTakeFirstOrThrow(),
  ]);
  return { rows, totalCount: Number(count.count) };
}

const sortColumns: Record<string, string> = {
  deviceId: "rs.device_id",
  deviceName: "rs.device_name",
  status: "rs.status",
  startedAt: "rs.started_at",
  completedAt: "rs.completed_at",
  duration: "(rs.completed_at - rs.started_at)",
  wave: "rs.wave",
};

export interface RolloutDeviceRow {
  device_id: string;
  device_name: string;
  status: DeviceRolloutState;
  started_at: Date | null;
  completed_at: Date | null;
  error_message: string | null;
  attempt: number;
  wave: number | null;
  next_attempt_at: Date | null;
}

/** One page of a rollout's devices; the total comes from the counters, not from a COUNT. */
export async function listRolloutDevices(
  db: Db,
  rolloutId: string,
  status: DeviceRolloutState | undefined,
  sort: DeviceSort | undefined,
  page: PageRequest,
): Promise<RolloutDeviceRow[]> {
  const key = (sort ?? "deviceName").replace(/^-/, "");
  const direction = sort?.startsWith("-") ? "DESC" : "ASC";
  // The column comes from a fixed table above, never from the request text.
  const column = sortColumns[key] ?? "rs.device_name";
  const statusFilter = status ? sql`AND rs.status = ${status}` : sql``;
  const result = await sql<RolloutDeviceRow>`
    SELECT rs.device_id, rs.device_name, rs.status, rs.started_at, rs.completed_at, rs.error_message, rs.attempt,
           rs.wave, rs.next_attempt_at
    FROM rollout_statuses rs
    WHERE rs.rollout_id = ${rolloutId} ${statusFilter}
    ORDER BY ${sql.raw(column)} ${sql.raw(direction)} NULLS LAST, rs.device_id ${sql.raw(direction)}
    LIMIT ${page.pageSize} OFFSET ${pageOffset(page)}
  `.execute(db);
  return result.rows;
}
