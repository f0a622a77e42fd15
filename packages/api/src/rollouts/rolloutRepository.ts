import type { Database, Kysely, RolloutRow, Transaction } from "@signalbeam/db";
import { sql } from "@signalbeam/db";
import { notFound } from "../shared/errors";
import { type PageRequest, pageOffset } from "../shared/pagination";
import { iso, isoOrNull } from "../shared/schemas";
import type { DeviceSort, RolloutDto } from "./rolloutSchemas";
import { type DeviceCounts, nextRolloutState } from "./rolloutStatus";
import type { DeviceRolloutState, RolloutState } from "@signalbeam/db";

type Db = Kysely<Database> | Transaction<Database>;

export const countsOf = (row: RolloutRow): DeviceCounts => ({
  pending: row.pending,
  updating: row.updating,
  succeeded: row.succeeded,
  failed: row.failed,
  cancelled: row.cancelled,
});

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
  "pending",
  "updating",
  "succeeded",
  "failed",
  "cancelled",
  "created_at",
  "updated_at",
  "completed_at",
] as const satisfies readonly (keyof RolloutRow)[];

/** The API's view of a rollout; `targetIds` only when the caller asked for the list (the REST default). */
export function toRolloutDto(row: RolloutRow, targetIds?: readonly string[]): RolloutDto {
  return {
    id: row.id,
    bundleId: row.bundle_id,
    version: row.version,
    targetType: row.target_type,
    status: row.status,
    progress: {
      total: row.total,
      pending: row.pending,
      inProgress: row.updating,
      succeeded: row.succeeded,
      failed: row.failed,
      cancelled: row.cancelled,
    },
    createdAt: iso(row.created_at),
    updatedAt: iso(row.updated_at),
    completedAt: isoOrNull(row.completed_at),
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

/** Writes new counters together with the status and completedAt they imply. */
export async function saveRolloutCounts(
  tx: Transaction<Database>,
  row: RolloutRow,
  counts: DeviceCounts,
  now: Date,
  cancelRequestedAt: Date | null = row.cancel_requested_at,
): Promise<RolloutRow> {
  const next = nextRolloutState(counts, cancelRequestedAt !== null, row.completed_at, now);
  return tx
    .updateTable("rollouts")
    .set({
      ...counts,
      status: next.status,
      completed_at: next.completedAt,
      cancel_requested_at: cancelRequestedAt,
      updated_at: now,
    })
    .where("id", "=", row.id)
    .returning(rolloutColumns)
    .executeTakeFirstOrThrow();
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
};

export interface RolloutDeviceRow {
  device_id: string;
  device_name: string;
  status: DeviceRolloutState;
  started_at: Date | null;
  completed_at: Date | null;
  error_message: string | null;
  attempt: number;
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
    SELECT rs.device_id, rs.device_name, rs.status, rs.started_at, rs.completed_at, rs.error_message, rs.attempt
    FROM rollout_statuses rs
    WHERE rs.rollout_id = ${rolloutId} ${statusFilter}
    ORDER BY ${sql.raw(column)} ${sql.raw(direction)} NULLS LAST, rs.device_id ${sql.raw(direction)}
    LIMIT ${page.pageSize} OFFSET ${pageOffset(page)}
  `.execute(db);
  return result.rows;
}
