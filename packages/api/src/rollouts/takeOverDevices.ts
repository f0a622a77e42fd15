import type { Database, DeviceRolloutState, RolloutRow, Transaction } from "@signalbeam/db";
import { sql } from "@signalbeam/db";
import { withoutNestedLoops } from "../shared/bulkJoin";
import type { Placement } from "./policy/planWaves";
import type { Change } from "../shared/writeChange";
import { rolloutColumns, saveRolloutCounts, tallyOf } from "./rolloutRepository";
import { applyMoves } from "./rolloutStatus";

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
 *
 * A device without that row (imported with SQL, restored from a backup) gets one here, empty, so
 * that a rollout never depends on it existing: every target gets its status row and its desired
 * state. Creating the row only where it is missing costs nothing in the usual case: the lock
 * already counts what it found.
 */
export async function lockDesiredStates(tx: Transaction<Database>, deviceIds: readonly string[], now: Date): Promise<void> {
  if (deviceIds.length === 0) return;
  const devices = deviceIds as string[];
  const lock = () =>
    sql<{ device_id: string }>`
      SELECT device_id FROM device_desired_states
      WHERE device_id = ANY(${devices}::text[])
      ORDER BY device_id
      FOR UPDATE
    `.execute(tx);
  const locked = await lock();
  if (locked.rows.length === deviceIds.length) return;
  await sql`
    INSERT INTO device_desired_states (device_id, updated_at)
    SELECT d.id, ${now} FROM devices d WHERE d.id = ANY(${devices}::text[])
    ON CONFLICT (device_id) DO NOTHING
  `.execute(tx);
  await lock();
}

export interface TakeOver {
  rolloutId: string;
  bundleId: string;
  version: string;
  deviceIds: readonly string[];
  now: Date;
  /** The rollouts being superseded, already locked by `lockRolloutsToSupersede`. */
  superseding: Map<string, RolloutRow>;
  /**
   * A staged rollout claims its devices `queued`: their desired states get the fallback written on
   * their rows (what they ran before the rollout they are taken from), not this rollout, until the
   * controller releases them.
   */
  queued: boolean;
  change: Pick<Change, "event" | "wakeController">;
}

interface SupersededCount {
  rollout_id: string;
  old_status: DeviceRolloutState;
  wave: number | null;
  devices: number;
}

/**
 * Makes the new rollout `rolloutId` the one these devices should run, as one set-based step:
 * - a device still pending/updating in another rollout is cancelled there with
 *   `superseded by rollout <id>` (that rollout's counters and status follow);
 * - the desired state points here.
 * The caller holds the desired-state locks, has locked the rollouts to supersede, and has written
 * this rollout's rows with their fallbacks (`insertRolloutRows`).
 */
export async function takeOverDevices(tx: Transaction<Database>, takeOver: TakeOver): Promise<void> {
  const { rolloutId, bundleId, version, deviceIds, now, superseding } = takeOver;
  const devices = deviceIds as string[];
  const message = `superseded by rollout ${rolloutId}`;
  const pointDesiredStates = takeOver.queued
    ? sql`
    UPDATE device_desired_states dd
    SET rollout_id = NULL, bundle_id = rs.previous_bundle_id, version = rs.previous_version, updated_at = ${now}
    FROM rollout_statuses rs
    WHERE rs.rollout_id = ${rolloutId} AND dd.device_id = rs.device_id
  `
    : sql`
    UPDATE device_desired_states
    SET rollout_id = ${rolloutId}, bundle_id = ${bundleId}, version = ${version}, updated_at = ${now}
    WHERE device_id = ANY(${devices}::text[])
  `;
  if (superseding.size === 0) {
    // No other rollout has any of these devices pending or updating, and none can gain one while
    // we hold their desired-state locks: nothing to supersede, so no need to look for 100,000
    // devices' rows in other rollouts — only the desired states move.
    await (takeOver.queued ? withoutNestedLoops(tx, () => pointDesiredStates.execute(tx)) : pointDesiredStates.execute(tx));
    return;
  }

  // A join against 100,000 devices' rows elsewhere: no nested loops (see withoutNestedLoops).
  const superseded = await withoutNestedLoops(tx, () =>
    sql<SupersededCount>`
    WITH target AS (
      SELECT unnest(${devices}::text[]) AS device_id
    ), old AS (
      SELECT rs.rollout_id, rs.device_id, rs.status
      FROM rollout_statuses rs JOIN target t ON t.device_id = rs.device_id
      WHERE rs.status IN ('queued', 'pending', 'updating') AND rs.rollout_id <> ${rolloutId}
      FOR UPDATE OF rs
    ), sup AS (
      UPDATE rollout_statuses rs
      SET status = 'cancelled', completed_at = ${now}, updated_at = ${now}, error_message = ${message}, next_attempt_at = NULL
      FROM old
      WHERE rs.rollout_id = old.rollout_id AND rs.device_id = old.device_id
      RETURNING rs.rollout_id, old.status AS old_status, rs.wave
    ), desired AS (${pointDesiredStates})
    SELECT rollout_id, old_status, wave, count(*)::int AS devices FROM sup GROUP BY rollout_id, old_status, wave
  `.execute(tx),
  );

  const deltas = new Map<string, SupersededCount[]>();
  for (const row of superseded.rows) {
    if (!superseding.has(row.rollout_id)) throw new LockOrderRace();
    deltas.set(row.rollout_id, [...(deltas.get(row.rollout_id) ?? []), row]);
  }
  for (const [otherId, moves] of deltas) {
    const row = superseding.get(otherId)!;
    const tally = applyMoves(
      tallyOf(row),
      moves.map((move) => ({ wave: move.wave, from: move.old_status, to: "cancelled", devices: move.devices })),
    );
    await saveRolloutCounts(tx, takeOver.change, row, tally, now);
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
): Promise<Map<string, RolloutRow>> {
  const others = await sql<RolloutRow>`
    SELECT ${sql.join(rolloutColumns.map((column) => sql.ref(`r.${column}`)))} FROM rollouts r
    WHERE r.id IN (
      SELECT DISTINCT rs.rollout_id FROM rollout_statuses rs
      WHERE rs.device_id = ANY(${deviceIds as string[]}::text[])
        AND rs.status IN ('queued', 'pending', 'updating')
        AND rs.rollout_id <> ${rolloutId}
    )
    ORDER BY r.id
    FOR UPDATE
  `.execute(tx);
  return new Map(others.rows.map((row) => [row.id, row]));
}

/**
 * A new rollout's rows, each written once with the fallback a cancel restores. The fallback is
 * what the device should run if this rollout is cancelled before it starts: its current desired
 * state — unless that points at a rollout the device never got through (queued or pending there,
 * or failed there, which leaves a device on what it ran before), whose own fallback then applies.
 * Call it after `lockRolloutsToSupersede`, so the rows it reads cannot change meanwhile.
 * Without `placements` every row is `pending`; with them (a staged rollout) every row is `queued`
 * in its wave and release order. Returns how many rows it wrote: one per device, which the caller
 * checks.
 */
export async function insertRolloutRows(
  tx: Transaction<Database>,
  rows: { rolloutId: string; deviceIds: readonly string[]; now: Date; placements?: readonly Placement[] },
): Promise<number> {
  const fallback = sql`
           CASE WHEN via.status IN ('queued', 'pending', 'failed') THEN via.previous_bundle_id ELSE dd.bundle_id END,
           CASE WHEN via.status IN ('queued', 'pending', 'failed') THEN via.previous_version ELSE dd.version END`;
  const result = rows.placements
    ? await sql`
    INSERT INTO rollout_statuses (rollout_id, device_id, device_name, status, attempt, updated_at, previous_bundle_id, previous_version, wave, release_order)
    SELECT ${rows.rolloutId}, d.id, d.name, 'queued', 1, ${rows.now}, ${fallback}, t.wave, t.release_order
    FROM unnest(
      ${rows.placements.map((p) => p.deviceId)}::text[],
      ${rows.placements.map((p) => p.wave)}::int[],
      ${rows.placements.map((p) => p.order)}::int[]
    ) AS t(device_id, wave, release_order)
    JOIN devices d ON d.id = t.device_id
    JOIN device_desired_states dd ON dd.device_id = t.device_id
    LEFT JOIN rollout_statuses via ON via.rollout_id = dd.rollout_id AND via.device_id = t.device_id
  `.execute(tx)
    : await sql`
    INSERT INTO rollout_statuses (rollout_id, device_id, device_name, status, attempt, updated_at, previous_bundle_id, previous_version)
    SELECT ${rows.rolloutId}, d.id, d.name, 'pending', 1, ${rows.now}, ${fallback}
    FROM unnest(${rows.deviceIds as string[]}::text[]) AS t(device_id)
    JOIN devices d ON d.id = t.device_id
    JOIN device_desired_states dd ON dd.device_id = t.device_id
    LEFT JOIN rollout_statuses via ON via.rollout_id = dd.rollout_id AND via.device_id = t.device_id
  `.execute(tx);
  return Number(result.numAffectedRows ?? 0);
}
