import { type Database, type Kysely, sql } from "@signalbeam/db";
import { operatorApi } from "../lib/api";
import { onBareServer, sampleOf } from "../lib/ceiling";
import { type LoadOptions, runLoad } from "../lib/load";
import { deviceId, deviceToken } from "../lib/seed";
import type { BenchContext, Figure } from "../types";

/**
 * B2 — status reports: PUT /rollouts/{id}/status, 50 connections, each device moving pending →
 * updating (→ succeeded on a second pass); then the rollout's counters must equal a GROUP BY over
 * its rows. Twice:
 * - B2: the seeded fleet's rollout, whose tokens the server loaded at start (warm);
 * - B2-fresh: devices registered through the API a moment before, reporting at once — before any
 *   warmer could have read their tokens (registration hands the server the new token itself).
 * The ceiling is a bare node:http server receiving the same request stream from the same client
 * and answering with the bytes of a real report's answer.
 */
export async function statusReports(context: BenchContext, rolloutId: string): Promise<Figure[]> {
  const warmFleet = { count: context.devices, id: deviceId, token: (n: number) => deviceToken(n) };
  // A full run's 100,000 devices outlast the duration; a smoke run's few would run out of reports.
  const warm = await measure(context, rolloutId, warmFleet, context.smoke ? 2 * context.devices : undefined);

  const fresh = await registerFleet(context, context.smoke ? 500 : 10_000);
  const api = operatorApi(context.server.url, context.adminToken);
  const freshRollout = (
    await api.expectStatus(201, "POST", "/rollouts", {
      bundleId: context.bundleId,
      version: "1.2.0",
      targetType: "device",
      deviceIds: fresh.ids,
    })
  ).body.rolloutId as string;
  const freshFleet = {
    count: fresh.ids.length,
    id: (n: number) => fresh.ids[n - 1]!,
    token: (n: number) => fresh.tokens[n - 1]!,
  };
  const freshRun = await measure(context, freshRollout, freshFleet, 2 * fresh.ids.length);

  return [
    figure("B2", "status reports, one rollout (tokens warm)", warm, context.devices),
    figure(
      "B2-fresh",
      "status reports from devices registered a moment before",
      freshRun,
      fresh.ids.length,
      `registered through the API in ${(fresh.ms / 1000).toFixed(1)} s, then reporting at once`,
    ),
  ];
}

interface Fleet {
  count: number;
  id: (n: number) => string;
  token: (n: number) => string;
}

/** Each device reports twice (updating, then succeeded), in turn: a fresh stream starting at device 1. */
const reportStream = (rolloutId: string, fleet: Fleet): LoadOptions["next"] => {
  let sent = 0;
  return () => {
    const k = sent++;
    const n = (k % fleet.count) + 1;
    const status = Math.floor(k / fleet.count) % 2 === 0 ? "updating" : "succeeded";
    return {
      path: `/api/rollouts/${rolloutId}/status`,
      headers: { authorization: `Bearer ${fleet.token(n)}` },
      body: JSON.stringify({ deviceId: fleet.id(n), status }),
    };
  };
};

/** `amount`: every report the fleet has to send (each device twice), or unset to run for the duration. */
async function measure(context: BenchContext, rolloutId: string, fleet: Fleet, amount: number | undefined) {
  const load = {
    connections: 50,
    durationSeconds: context.seconds,
    ...(amount !== undefined ? { amount } : {}),
    method: "PUT" as const,
    headers: { "content-type": "application/json" },
  };
  // The ceiling first: the bytes of a real answer (a device outside the measured stream is not at
  // hand, so the answer is the first device's own, whose report the product run repeats harmlessly).
  const first = reportStream(rolloutId, fleet)!();
  const sample = await sampleOf(
    await fetch(`${context.server.url}${first.path}`, {
      method: "PUT",
      headers: { ...first.headers, "content-type": "application/json" },
      body: first.body,
    }),
  );
  const ceiling = await onBareServer(context.port + 1, sample, async (bare) => {
    await runLoad({ ...load, url: bare.url, amount: Math.min(amount ?? 5_000, 5_000), next: reportStream(rolloutId, fleet) }); // warm the client
    return runLoad({ ...load, url: bare.url, next: reportStream(rolloutId, fleet) });
  });
  const product = await runLoad({ ...load, url: context.server.url, next: reportStream(rolloutId, fleet) });
  // Reports still in flight when the load stops land a moment later; then compare, in one snapshot.
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  return { product, ceiling, check: await countersMatch(context.database.db, rolloutId) };
}

async function countersMatch(db: Kysely<Database>, rolloutId: string) {
  const check = await sql<{ counted: Record<string, number>; row: Record<string, number> }>`
    SELECT
      (SELECT coalesce(jsonb_object_agg(status, n), '{}'::jsonb) FROM
         (SELECT status, count(*)::int AS n FROM rollout_statuses WHERE rollout_id = ${rolloutId} GROUP BY status) g) AS counted,
      (SELECT jsonb_build_object('pending', pending, 'updating', updating, 'succeeded', succeeded, 'failed', failed, 'cancelled', cancelled)
         FROM rollouts WHERE id = ${rolloutId}) AS row
  `.execute(db);
  const { counted, row } = check.rows[0]!;
  const exact = (["pending", "updating", "succeeded", "failed", "cancelled"] as const).every(
    (status) => (counted[status] ?? 0) === row[status],
  );
  return { exact, counted, row };
}

function figure(id: string, name: string, run: Awaited<ReturnType<typeof measure>>, devices: number, more = ""): Figure {
  const { product, ceiling, check } = run;
  return {
    id,
    name,
    value: product.requestsPerSecond,
    unit: "reports/s",
    p99Ms: product.p99Ms,
    baseline: { name: "bare node:http, same requests, a report's bytes", value: ceiling.requestsPerSecond, p99Ms: ceiling.p99Ms },
    ratio: product.requestsPerSecond / ceiling.requestsPerSecond,
    target: "≥ 2,000/s, counters exact",
    met: product.requestsPerSecond >= 2_000,
    correct: check.exact && product.non2xx === 0 && product.errors === 0,
    notes:
      `${product.requests} reports over ${devices.toLocaleString("en-US")} devices, ${product.non2xx} non-2xx; ` +
      `counters ${check.exact ? "equal" : "DIFFER FROM"} a GROUP BY ` +
      `(row: updating ${check.row.updating}, succeeded ${check.row.succeeded}, pending ${check.row.pending}; ` +
      `GROUP BY: ${JSON.stringify(check.counted)})${more ? `; ${more}` : ""}`,
  };
}

/** Devices registered through the API, as an operator's tooling would: their tokens exist only in the answers. */
async function registerFleet(context: BenchContext, count: number) {
  const api = operatorApi(context.server.url, context.adminToken);
  const ids = Array.from({ length: count }, (_, index) => `fresh-${String(index + 1).padStart(6, "0")}`);
  const tokens: string[] = new Array(count);
  const started = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (next < count) {
        const index = next++;
        const created = await api.expectStatus(201, "POST", "/devices", { id: ids[index], name: `Fresh ${index + 1}` });
        tokens[index] = created.body.token as string;
      }
    }),
  );
  return { ids, tokens, ms: performance.now() - started };
}
