import type { Database, DeviceRolloutState, Rollout, Transaction } from "@signalbeam/db";
import { sql } from "@signalbeam/db";
import { withoutNestedLoops } from "../shared/bulkJoin";
import { countsOf, saveRolloutCounts } from "./rolloutRepository";
import { moveCounts } from "./rolloutStatus";

/** Thrown when another writer slipped in between our locks; `inTransaction` retries it. */
class LockOrderRace extends Error {
  readonly code = "40001";
  constructor() {
    super("a concurrent rollout changed the devices being assigned; retrying");
  }
}

/**
 * Locks the devices' desired-state rows, in id order. Every writer that changes which rollout a
 * device belongs to (create, retry, cancel) takes these first, so two of them never interleave.
 */
export async function lockDesiredStates(tx: Transaction<Database>, deviceIds: readonly string[]): Promise<void> {
  if (deviceIds.length === 0) return;
  await sql`
    SELECT device_id FROM device_desired_states
    WHERE device_id = ANY(${deviceIds as string[]}::text[])
    ORDER BY device_id
    FOR UPDATE
  `.execute(tx);
}

export interface TakeOver {
  rolloutId: string;
  bundleId: string;
  version: string;
  deviceIds: readonly string[];
  now: Date;
  /**
   * The caller already locked the rollouts being superseded (`lockRolloutsToSupersede`) and wrote
   * each new row's fallback when it inserted it (`insertPendingRows`), so the rows need no second
   * write. Create does this; retry, whose rows exist already, does not.
   */
  prepared?: Map<string, Rollout>;
}

interface SupersededCount {
  rollout_id: string;
  old_status: DeviceRolloutState;
  devices: number;
}

/**
 * Makes `rolloutId` the rollout these devices should run, as one set-based step:
 * - a device still pending/updating in another rollout is cancelled there with
 *   `superseded by rollout <id>` (that rollout's counters and status follow);
 * - each device's row in this rollout remembers what the device should fall back to on cancel:
 *   kept as is when its desired state already points here (a retry), the superseded row's own
 *   fallback when the device never started that rollout, else its current desired state;
 * - the desired state points here.
 * The caller holds the desired-state locks and has written this rollout's rows as pending.
 */
export async function takeOverDevices(tx: Transaction<Database>, takeOver: TakeOver): Promise<void> {
  const { rolloutId, bundleId, version, deviceIds, now } = takeOver;
  const devices = deviceIds as string[];
  const message = `superseded by rollout ${rolloutId}`;
  const locked = takeOver.prepared ?? (await lockRolloutsToSupersede(tx, rolloutId, deviceIds));
  const recordFallbacks = takeOver.prepared === undefined;
  const pointDesiredStates = sql`
    UPDATE device_desired_states
    SET rollout_id = ${rolloutId}, bundle_id = ${bundleId}, version = ${version}, updated_at = ${now}
    WHERE device_id = ANY(${devices}::text[])
  `;
  if (!recordFallbacks && locked.size === 0) {
    // No other rollout has any of these devices pending or updating, and none can gain one while
    // we hold their desired-state locks: nothing to supersede, so no need to look for 100,000
    // devices' rows in other rollouts — only the desired states move.
    await pointDesiredStates.execute(tx);
    return;
  }

  // A join of this rollout's rows (estimated at a row or two while the rollout is new): no nested loops.
  const superseded = await withoutNestedLoops(tx, () =>
    sql<SupersededCount>`
    WITH target AS (
      SELECT unnest(${devices}::text[]) AS device_id
    ), old AS (
      SELECT rs.rollout_id, rs.device_id, rs.status
      FROM rollout_statuses rs JOIN target t ON t.device_id = rs.device_id
      WHERE rs.status IN ('pending', 'updating') AND rs.rollout_id <> ${rolloutId}
      FOR UPDATE OF rs
    ), sup AS (
      UPDATE rollout_statuses rs
      SET status = 'cancelled', completed_at = ${now}, updated_at = ${now}, error_message = ${message}
      FROM old
      WHERE rs.rollout_id = old.rollout_id AND rs.device_id = old.device_id
      RETURNING rs.rollout_id, rs.device_id, old.status AS old_status, rs.previous_bundle_id, rs.previous_version
    ), mine AS (
      -- Skipped (WHERE false) when the rows were inserted with their fallbacks already.
      UPDATE rollout_statuses rs
      SET previous_bundle_id = CASE
            WHEN dd.rollout_id IS NOT DISTINCT FROM ${rolloutId}::uuid THEN rs.previous_bundle_id
            WHEN sup.old_status = 'pending' THEN sup.previous_bundle_id
            ELSE dd.bundle_id END,
          previous_version = CASE
            WHEN dd.rollout_id IS NOT DISTINCT FROM ${rolloutId}::uuid THEN rs.previous_version
            WHEN sup.old_status = 'pending' THEN sup.previous_version
            ELSE dd.version END
      FROM target t
      JOIN device_desired_states dd ON dd.device_id = t.device_id
      LEFT JOIN sup ON sup.device_id = t.device_id
      WHERE ${recordFallbacks} AND rs.rollout_id = ${rolloutId} AND rs.device_id = t.device_id
    ), desired AS (${pointDesiredStates})
    SELECT rollout_id, old_status, count(*)::int AS devices FROM sup GROUP BY rollout_id, old_status
  `.execute(tx),
  );

  const deltas = new Map<string, SupersededCount[]>();
  for (const row of superseded.rows) {
    if (!locked.has(row.rollout_id)) throw new LockOrderRace();
    deltas.set(row.rollout_id, [...(deltas.get(row.rollout_id) ?? []), row]);
  }
  for (const [otherId, moves] of deltas) {
    const row = locked.get(otherId)!;
    const counts = moves.reduce((acc, move) => moveCounts(acc, move.old_status, "cancelled", move.devices), countsOf(row));
    await saveRolloutCounts(tx, row, counts, now);
  }
}

/**
 * Locks, in id order, every other rollout in which one of these devices is still pending or
 * updating: the rollouts about to lose those devices. Reports lock their rollout first, so from
 * here until commit those devices' rows there cannot move.
 */
export async function lockRolloutsToSupersede(
  tx: Transaction<Database>,
  rolloutId: string,
  deviceIds: readonly string[],
): Promise<Map<string, Rollout>> {
  const others = await sql<Rollout>`
    SELECT r.* FROM rollouts r
    WHERE r.id IN (
      SELECT DISTINCT rs.rollout_id FROM rollout_statuses rs
      WHERE rs.device_id = ANY(${deviceIds as string[]}::text[])
        AND rs.status IN ('pending', 'updating')
        AND rs.rollout_id <> ${rolloutId}
    )
    ORDER BY r.id
    FOR UPDATE
  `.execute(tx);
  return new Map(others.rows.map((row) => [row.id, row]));
}

/**
 * A new rollout's pending rows, each written once with the fallback a cancel restores: what the
 * device was told to run, or — when it had not yet started the rollout it is taken from — that
 * rollout's own fallback (the same rule `takeOverDevices` applies to existing rows). Call it after
 * `lockRolloutsToSupersede`, so the rows it reads cannot change before they are superseded.
 */
export async function insertPendingRows(
  tx: Transaction<Database>,
  rows: { rolloutId: string; deviceIds: readonly string[]; now: Date },
): Promise<void> {
  await sql`
    INSERT INTO rollout_statuses (rollout_id, device_id, device_name, status, attempt, updated_at, previous_bundle_id, previous_version)
    SELECT ${rows.rolloutId}, d.id, d.name, 'pending', 1, ${rows.now},
           CASE WHEN old.status = 'pending' THEN old.previous_bundle_id ELSE dd.bundle_id END,
           CASE WHEN old.status = 'pending' THEN old.previous_version ELSE dd.version END
    FROM unnest(${rows.deviceIds as string[]}::text[]) AS t(device_id)
    JOIN devices d ON d.id = t.device_id
    JOIN device_desired_states dd ON dd.device_id = t.device_id
    LEFT JOIN rollout_statuses old
      ON old.device_id = t.device_id AND old.status IN ('pending', 'updating') AND old.rollout_id <> ${rows.rolloutId}
  `.execute(tx);
}
