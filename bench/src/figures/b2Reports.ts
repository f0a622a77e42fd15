import { sql } from "@signalbeam/db";
import { runLoad } from "../lib/load";
import { deviceId, deviceToken } from "../lib/seed";
import type { BenchContext, Figure } from "../types";

/**
 * B2 — status reports: PUT /rollouts/{id}/status from many devices of the fleet-wide rollout,
 * 50 connections, each device moving pending → updating (→ succeeded on a second pass). Then the
 * rollout's counters must equal a GROUP BY over its rows.
 */
export async function statusReports(context: BenchContext, rolloutId: string): Promise<Figure[]> {
  let sent = 0;
  const result = await runLoad({
    url: context.server.url,
    connections: 50,
    durationSeconds: context.seconds,
    // Each device reports twice (updating, succeeded); a small fleet would run out of reports to send.
    ...(context.smoke ? { amount: 2 * context.devices } : {}),
    method: "PUT",
    headers: { "content-type": "application/json" },
    next: () => {
      const k = sent++;
      const n = (k % context.devices) + 1;
      const status = Math.floor(k / context.devices) % 2 === 0 ? "updating" : "succeeded";
      return {
        path: `/api/rollouts/${rolloutId}/status`,
        headers: { authorization: `Bearer ${deviceToken(n)}` },
        body: JSON.stringify({ deviceId: deviceId(n), status }),
      };
    },
  });
  // Reports still in flight when the load stops land a moment later; then compare, in one snapshot.
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  const check = await sql<{ counted: Record<string, number>; row: Record<string, number> }>`
    SELECT
      (SELECT coalesce(jsonb_object_agg(status, n), '{}'::jsonb) FROM
         (SELECT status, count(*)::int AS n FROM rollout_statuses WHERE rollout_id = ${rolloutId} GROUP BY status) g) AS counted,
      (SELECT jsonb_build_object('pending', pending, 'updating', updating, 'succeeded', succeeded, 'failed', failed, 'cancelled', cancelled)
         FROM rollouts WHERE id = ${rolloutId}) AS row
  `.execute(context.database.db);
  const { counted, row: rollout } = check.rows[0]!;
  const exact = (["pending", "updating", "succeeded", "failed", "cancelled"] as const).every(
    (status) => (counted[status] ?? 0) === rollout[status],
  );
  return [
    {
      id: "B2",
      name: "status reports, one rollout",
      value: result.requestsPerSecond,
      unit: "reports/s",
      p99Ms: result.p99Ms,
      target: "≥ 2,000/s, counters exact",
      met: result.requestsPerSecond >= 2_000,
      correct: exact && result.non2xx === 0 && result.errors === 0,
      notes:
        `${result.requests} reports, ${result.non2xx} non-2xx; counters ${exact ? "equal" : "DIFFER FROM"} a GROUP BY ` +
        `(row: updating ${rollout.updating}, succeeded ${rollout.succeeded}, pending ${rollout.pending}; GROUP BY: ${JSON.stringify(counted)})`,
    },
  ];
}
