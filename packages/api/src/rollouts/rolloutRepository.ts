import type { Database, Kysely, Rollout, Transaction } from "@signalbeam/db";
import { sql } from "@signalbeam/db";
import { notFound } from "../shared/errors";
import { type PageRequest, pageOffset } from "../shared/pagination";
import { iso, isoOrNull } from "../shared/schemas";
import type { DeviceSort, RolloutDto } from "./rolloutSchemas";
import { type DeviceCounts, nextRolloutState } from "./rolloutStatus";
import type { DeviceRolloutState, RolloutState } from "@signalbeam/db";

type Db = Kysely<Database> | Transaction<Database>;

export const countsOf = (row: Rollout): DeviceCounts => ({
  pending: row.pending,
  updating: row.updating,
  succeeded: row.succeeded,
  failed: row.failed,
  cancelled: row.cancelled,
});

export function toRolloutDto(row: Rollout): RolloutDto {
  return {
    id: row.id,
    bundleId: row.bundle_id,
    version: row.version,
    targetType: row.target_type,
    targetIds: row.target_ids,
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
  };
}

export async function findRollout(db: Db, rolloutId: string): Promise<Rollout> {
  const row = await db.selectFrom("rollouts").selectAll().where("id", "=", rolloutId).executeTakeFirst();
  if (!row) throw notFound("rollout", rolloutId);
  return row;
}

/** Every writer takes the rollout row lock first: it serializes counter updates per rollout. */
export async function lockRollout(tx: Transaction<Database>, rolloutId: string): Promise<Rollout> {
  const row = await tx.selectFrom("rollouts").selectAll().where("id", "=", rolloutId).forUpdate().executeTakeFirst();
  if (!row) throw notFound("rollout", rolloutId);
  return row;
}

/** Writes new counters together with the status and completedAt they imply. */
export async function saveRolloutCounts(
  tx: Transaction<Database>,
  row: Rollout,
  counts: DeviceCounts,
  now: Date,
  cancelRequestedAt: Date | null = row.cancel_requested_at,
): Promise<Rollout> {
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
    .returningAll()
    .executeTakeFirstOrThrow();
}

export async function listRollouts(
  db: Db,
  filter: { bundleId?: string | undefined; status?: RolloutState | undefined },
  page: PageRequest,
): Promise<{ rows: Rollout[]; totalCount: number }> {
  let query = db.selectFrom("rollouts");
  if (filter.bundleId) query = query.where("bundle_id", "=", filter.bundleId);
  if (filter.status) query = query.where("status", "=", filter.status);
  const [rows, count] = await Promise.all([
    query.selectAll().orderBy("created_at", "desc").orderBy("id", "desc").limit(page.pageSize).offset(pageOffset(page)).execute(),
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
