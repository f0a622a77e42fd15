import { sql } from "@signalbeam/db";
import { operatorApi } from "../lib/api";
import { deviceId } from "../lib/seed";
import type { BenchContext, Figure } from "../types";

/**
 * B3 — bulk writes: one request creating a rollout of every device (by id list, and by a group of
 * all of them), and cancelling it, against a raw INSERT … SELECT of the same status rows measured
 * in the same run, and cancelling it, against a raw UPDATE of the same number of rows. Leaves an
 * active rollout of the whole fleet (by group) for B1 and B2, and the cancelled one (by id list,
 * 100,000 ids in its targetIds) for B4.
 */
export async function bulkWrites(
  context: BenchContext,
): Promise<{ figures: Figure[]; activeRolloutId: string; listedRolloutId: string }> {
  const api = operatorApi(context.server.url, context.adminToken);
  const db = context.database.db;
  const n = context.devices;

  // Baseline: the status rows alone, written by one statement, no checks, no desired states.
  const scratch = "00000000-0000-4000-8000-00000000b3b3";
  await sql`INSERT INTO rollouts (id, bundle_id, version, target_type, target_ids, target_count, status, total, pending, updating, succeeded, failed, cancelled, created_at, updated_at)
            VALUES (${scratch}, ${context.bundleId}, '1.0.0', 'device', '["scratch"]', 1, 'pending', 0, 0, 0, 0, 0, 0, now(), now())`.execute(
    db,
  );
  const started = performance.now();
  await sql`INSERT INTO rollout_statuses (rollout_id, device_id, device_name, status, attempt, updated_at)
            SELECT ${scratch}::uuid, id, name, 'pending', 1, now() FROM devices`.execute(db);
  const rawMs = performance.now() - started;
  // The cancel's ceiling: the same rows moved to cancelled by one statement, no desired states.
  const cancelStarted = performance.now();
  await sql`UPDATE rollout_statuses SET status = 'cancelled', completed_at = now(), updated_at = now()
            WHERE rollout_id = ${scratch} AND status IN ('pending', 'updating')`.execute(db);
  const rawCancelMs = performance.now() - cancelStarted;
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
  const figure = (id: string, name: string, ms: number, baseline: { name: string; ms: number }, target: string): Figure => ({
    id,
    name,
    value: seconds(ms),
    unit: "s",
    baseline: { name: baseline.name, value: seconds(baseline.ms) },
    ratio: ms / baseline.ms,
    target,
    met: ms <= 3_000 && (target === "≤ 3 s" || ms / baseline.ms <= 3),
    correct: true, // every call was checked for its documented status
    notes: `${n.toLocaleString("en-US")} devices`,
  });
  const insert = { name: "raw INSERT … SELECT", ms: rawMs };
  return {
    figures: [
      figure("B3-create", "create rollout, device list", byList.ms, insert, "≤ 3 s and ≤ 3× raw"),
      figure("B3-group", "create rollout, one group", byGroup.ms, insert, "≤ 3 s and ≤ 3× raw"),
      figure("B3-cancel", "cancel that rollout", cancel.ms, { name: "raw UPDATE of the same rows", ms: rawCancelMs }, "≤ 3 s"),
    ],
    activeRolloutId: byGroup.body.rolloutId,
    listedRolloutId: byList.body.rolloutId,
  };
}
