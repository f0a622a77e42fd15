import type { Database, Kysely, RolloutRow } from "@signalbeam/db";
import { sql } from "@signalbeam/db";

/** How many points a history has at most: enough for a chart, few enough to read in one glance. */
const MAX_POINTS = 60;

export interface HistoryPoint {
  at: string;
  succeeded: number;
  failed: number;
}

/**
 * Succeeded and failed devices over time, cumulative, in at most 60 equal steps from the rollout's
 * creation to its last change: one grouped read of this rollout's finished rows (never the fleet's),
 * for the rollout page's chart. A device retried after failing counts where it ended.
 */
export async function rolloutHistory(
  db: Kysely<Database>,
  rollout: RolloutRow,
): Promise<{ bucketSeconds: number; points: HistoryPoint[] }> {
  const start = rollout.created_at.getTime();
  const span = Math.max(1, Math.ceil((rollout.updated_at.getTime() - start) / 1000));
  const bucketSeconds = Math.max(1, Math.ceil(span / MAX_POINTS));
  const rows = await sql<{ bucket: number; succeeded: number; failed: number }>`
    SELECT floor(extract(epoch FROM (completed_at - ${rollout.created_at}::timestamptz)) / ${bucketSeconds})::int AS bucket,
           count(*) FILTER (WHERE status = 'succeeded')::int AS succeeded,
           count(*) FILTER (WHERE status = 'failed')::int AS failed
    FROM rollout_statuses
    WHERE rollout_id = ${rollout.id} AND status IN ('succeeded', 'failed') AND completed_at IS NOT NULL
    GROUP BY 1 ORDER BY 1
  `.execute(db);
  const last = Math.max(0, Math.ceil(span / bucketSeconds), ...rows.rows.map((row) => row.bucket + 1));
  const byBucket = new Map(rows.rows.map((row) => [row.bucket, row]));
  const points: HistoryPoint[] = [];
  let succeeded = 0;
  let failed = 0;
  for (let bucket = 0; bucket <= last; bucket++) {
    points.push({ at: new Date(start + bucket * bucketSeconds * 1000).toISOString(), succeeded, failed });
    const row = byBucket.get(bucket);
    succeeded += row?.succeeded ?? 0;
    failed += row?.failed ?? 0;
  }
  return { bucketSeconds, points };
}
