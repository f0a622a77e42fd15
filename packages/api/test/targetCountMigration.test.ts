import { type DatabaseHandle, migrateToLatest, migrateUpTo, openDatabase, sql } from "@signalbeam/db";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDeps } from "../src/deps";
import { findRollout, toRolloutDto } from "../src/rollouts/rolloutRepository";

/**
 * Migration 0004 on a database that already holds rollouts (an upgrade, not a fresh install):
 * every existing rollout gets its `target_count`, and reads of it work as they do for new ones.
 */
describe("migration 0004 (rollout target_count) on existing data", () => {
  let handle: DatabaseHandle;
  beforeAll(async () => {
    handle = await openDatabase({ dataDir: "memory://" });
    await migrateUpTo(handle.db, "2026-11-27_0003_status_device_names");
  }, 60_000);
  afterAll(() => handle?.close());

  it("counts each existing rollout's targets, and the rollout reads in both forms", async () => {
    const bundle = "00000000-0000-4000-8000-0000000000b1";
    const rollout = "00000000-0000-4000-8000-0000000000a1";
    await sql`INSERT INTO bundles (id, name) VALUES (${bundle}, 'old')`.execute(handle.db);
    await sql`INSERT INTO bundle_versions (bundle_id, version, containers) VALUES (${bundle}, '1.0.0', '[]')`.execute(handle.db);
    await sql`
      INSERT INTO rollouts (id, bundle_id, version, target_type, target_ids, status, total, pending, updating, succeeded, failed, cancelled, created_at, updated_at)
      VALUES (${rollout}, ${bundle}, '1.0.0', 'device', '["a", "b", "c"]', 'completed', 0, 0, 0, 0, 0, 0, now(), now())
    `.execute(handle.db);

    expect((await migrateToLatest(handle.db))[0]).toBe("2026-12-02_0004_rollout_target_count");
    const row = await findRollout(handle.db, rollout);
    expect(row.target_count).toBe(3);
    const deps = createDeps({ db: handle.db });
    const list = (await deps.targetLists.get(handle.db, [rollout])).get(rollout)!;
    expect(toRolloutDto(row, list.ids)).toMatchObject({ targetCount: 3, targetIds: ["a", "b", "c"] });
    expect(list.json.toString()).toBe('["a","b","c"]');
    expect(toRolloutDto(row).targetIds).toBeUndefined();
  });
});
