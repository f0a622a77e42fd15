import type { Database, Transaction } from "@signalbeam/db";
import { sql } from "@signalbeam/db";
import { DomainError } from "../shared/errors";

/** How many unknown ids an error lists before it only counts them. */
const LISTED_UNKNOWN_IDS = 100;

export const dedupe = (ids: readonly string[]) => [...new Set(ids)];

export async function assertBundleVersion(tx: Transaction<Database>, bundleId: string, version: string): Promise<void> {
  const found = await tx
    .selectFrom("bundles")
    .leftJoin("bundle_versions", (join) =>
      join.onRef("bundle_versions.bundle_id", "=", "bundles.id").on("bundle_versions.version", "=", version),
    )
    .select(["bundles.id", "bundle_versions.version"])
    .where("bundles.id", "=", bundleId)
    .executeTakeFirst();
  if (!found) throw new DomainError("UNPROCESSABLE", `bundleId: bundle ${bundleId} does not exist`, { field: "bundleId" });
  if (!found.version)
    throw new DomainError("UNPROCESSABLE", `version: bundle ${bundleId} has no version ${version}`, { field: "version" });
}

async function unknownIds(tx: Transaction<Database>, table: "devices" | "device_groups", ids: string[], cast: "text" | "uuid") {
  const result = await sql<{ id: string }>`
    SELECT t.id FROM unnest(${ids}::${sql.raw(cast)}[]) AS t(id)
    WHERE NOT EXISTS (SELECT 1 FROM ${sql.table(table)} x WHERE x.id = t.id)
  `.execute(tx);
  return result.rows.map((row) => String(row.id));
}

function unknownError(field: string, what: string, ids: string[]): DomainError {
  const listed = ids.slice(0, LISTED_UNKNOWN_IDS);
  const more = ids.length > listed.length ? ` and ${ids.length - listed.length} more` : "";
  return new DomainError("UNPROCESSABLE", `${field}: unknown ${what}: ${listed.join(", ")}${more}`, {
    field,
    [field === "deviceIds" ? "unknownDeviceIds" : "unknownGroupIds"]: listed,
    unknownCount: ids.length,
  });
}

/** 422 listing the ids in `deviceIds` that name no device (rollout targets, group members). */
export async function assertKnownDevices(tx: Transaction<Database>, deviceIds: string[]): Promise<void> {
  if (deviceIds.length === 0) return;
  const unknown = await unknownIds(tx, "devices", deviceIds, "text");
  if (unknown.length) throw unknownError("deviceIds", "devices", unknown);
}

/** The devices a rollout targets, deduplicated and sorted; groups expand to their members now. */
export async function resolveTargetDevices(
  tx: Transaction<Database>,
  target: { targetType: "device" | "group"; deviceIds?: string[] | undefined; groupIds?: string[] | undefined },
): Promise<{ targetIds: string[]; deviceIds: string[] }> {
  if (target.targetType === "device") {
    const targetIds = dedupe(target.deviceIds ?? []);
    await assertKnownDevices(tx, targetIds);
    return { targetIds, deviceIds: [...targetIds].sort() };
  }
  const targetIds = dedupe((target.groupIds ?? []).map((id) => id.toLowerCase()));
  const unknown = await unknownIds(tx, "device_groups", targetIds, "uuid");
  if (unknown.length) throw unknownError("groupIds", "groups", unknown);
  const members = await sql<{ device_id: string }>`
    SELECT DISTINCT device_id FROM group_members WHERE group_id = ANY(${targetIds}::uuid[]) ORDER BY device_id
  `.execute(tx);
  if (members.rows.length === 0)
    throw new DomainError("UNPROCESSABLE", "groupIds: the groups have no member devices", { field: "groupIds" });
  return { targetIds, deviceIds: members.rows.map((row) => row.device_id) };
}
