import type { Database, Kysely } from "@signalbeam/db";
import { sql } from "@signalbeam/db";
import { notFound } from "../shared/errors";
import { type PageRequest, pageOffset } from "../shared/pagination";
import { iso, isoOrNull } from "../shared/schemas";
import type { DeviceDto } from "./deviceSchemas";

/** A device is online if heard from within this window (three missed 60 s polls). */
export const ONLINE_WINDOW_MS = 3 * 60_000;

const isOnline = (lastSeenAt: Date | null, now: Date) =>
  lastSeenAt !== null && now.getTime() - lastSeenAt.getTime() <= ONLINE_WINDOW_MS;

const deviceColumns = (db: Kysely<Database>) =>
  db
    .selectFrom("devices as d")
    .leftJoin("device_desired_states as dd", "dd.device_id", "d.id")
    .select([
      "d.id",
      "d.name",
      "d.labels",
      "d.created_at",
      "d.last_seen_at",
      "d.reported_bundle_id",
      "d.reported_version",
      "d.agent_version",
      "dd.rollout_id as desired_rollout_id",
      "dd.bundle_id as desired_bundle_id",
      "dd.version as desired_version",
    ]);

type DeviceRow = Awaited<ReturnType<ReturnType<typeof deviceColumns>["executeTakeFirstOrThrow"]>>;

export const toDeviceDto = (row: DeviceRow, now: Date): DeviceDto => ({
  id: row.id,
  name: row.name,
  labels: row.labels,
  createdAt: iso(row.created_at),
  lastSeenAt: isoOrNull(row.last_seen_at),
  online: isOnline(row.last_seen_at, now),
  currentBundleId: row.reported_bundle_id,
  currentVersion: row.reported_version,
  agentVersion: row.agent_version,
  desiredRolloutId: row.desired_rollout_id ?? null,
  desiredBundleId: row.desired_bundle_id ?? null,
  desiredVersion: row.desired_version ?? null,
});

export async function findDevice(db: Kysely<Database>, deviceId: string): Promise<DeviceRow> {
  const row = await deviceColumns(db).where("d.id", "=", deviceId).executeTakeFirst();
  if (!row) throw notFound("device", deviceId);
  return row;
}

const escapeLike = (text: string) => text.replace(/[\\%_]/g, (match) => `\\${match}`);

export async function listDevices(
  db: Kysely<Database>,
  filter: { search?: string | undefined; groupId?: string | undefined },
  page: PageRequest,
): Promise<{ rows: DeviceRow[]; totalCount: number }> {
  const apply = <Q extends { where: (...args: any[]) => any }>(query: Q): Q => {
    let q = query;
    if (filter.search) {
      const pattern = `%${escapeLike(filter.search)}%`;
      q = q.where(sql<boolean>`(d.id ILIKE ${pattern} OR d.name ILIKE ${pattern})`);
    }
    if (filter.groupId)
      q = q.where(
        sql<boolean>`EXISTS (SELECT 1 FROM group_members gm WHERE gm.device_id = d.id AND gm.group_id = ${filter.groupId})`,
      );
    return q;
  };
  const [rows, count] = await Promise.all([
    apply(deviceColumns(db)).orderBy("d.name").orderBy("d.id").limit(page.pageSize).offset(pageOffset(page)).execute(),
    apply(db.selectFrom("devices as d").select((eb) => eb.fn.countAll<number>().as("count"))).executeTakeFirstOrThrow(),
  ]);
  return { rows, totalCount: Number(count.count) };
}
