import { sql } from "@signalbeam/db";
import { operatorApi } from "../lib/api";
import { deviceId } from "../lib/seed";
import type { BenchContext, Figure } from "../types";

/**
 * B3 — bulk writes: one request creating a rollout of every device (by id list, and by a group of
 * all of them), and cancelling it, against a raw INSERT … SELECT of the same status rows measured
 * in the same run. Leaves an active rollout of the whole fleet (by group) for B1 and B2.
 */
export async function bulkWrites(context: BenchContext): Promise<{ figures: Figure[]; activeRolloutId: string }> {
  const api = operatorApi(context.server.url, context.adminToken);
  const db = context.database.db;
  const n = context.devices;

  // Baseline: the status rows alone, written by one statement, no checks, no desired states.
  const scratch = "00000000-0000-4000-8000-00000000b3b3";
  await sql`INSERT INTO rollouts (id, bundle_id, version, target_type, target_ids, status, total, pending, updating, succeeded, failed, cancelled, created_at, updated_at)
            VALUES (${scratch}, ${context.bundleId}, '1.0.0', 'device', '[]', 'pending', 0, 0, 0, 0, 0, 0, now(), now())`.execute(
    db,
  );
  const started = performance.now();
  await sql`INSERT INTO rollout_statuses (rollout_id, device_id, device_name, status, attempt, updated_at)
            SELECT ${scratch}::uuid, id, name, 'pending', 1, now() FROM devices`.execute(db);
  const rawMs = performance.now() - started;
  await sql`DELETE FROM rollouts WHERE id = ${scratch}`.execute(db);
  await sql`DELETE FROM rollout_statuses WHERE rollout_id = ${scratch}`.execute(db);

  const deviceIds = Array.from({ length: n }, (_, index) => deviceId(index + 1));
  const byList = await api.expectStatus(201, "POST", "/rollouts", {
    bundleId: context.bundleId,
    version: "1.0.0",
    targetType: "device",
    deviceIds,
  });
  const cancel = await api.expectStatus(204, "POST", `/rollouts/${byList.body.rolloutId}/cancel`);
  const byGroup = await api.expectStatus(201, "POST", "/rollouts", {
    bundleId: context.bundleId,
    version: "1.1.0",
    targetType: "group",
    groupIds: [context.groupId],
  });

  const seconds = (ms: number) => ms / 1000;
  const figure = (id: string, name: string, ms: number, withBaseline: boolean): Figure => ({
    id,
    name,
    value: seconds(ms),
    unit: "s",
    ...(withBaseline ? { baseline: { name: "raw INSERT … SELECT", value: seconds(rawMs) }, ratio: ms / rawMs } : {}),
    target: withBaseline ? "≤ 3 s and ≤ 3× raw" : "≤ 3 s",
    met: ms <= 3_000 && (!withBaseline || ms / rawMs <= 3),
    correct: true, // every call was checked for its documented status
    notes: `${n.toLocaleString("en-US")} devices`,
  });
  return {
    figures: [
      figure("B3-create", "create rollout, device list", byList.ms, true),
      figure("B3-group", "create rollout, one group", byGroup.ms, true),
      figure("B3-cancel", "cancel that rollout", cancel.ms, false),
    ],
    activeRolloutId: byGroup.body.rolloutId,
  };
}
