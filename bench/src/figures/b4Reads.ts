import { sql } from "@signalbeam/db";
import { operatorApi } from "../lib/api";
import { onBareServer, sampleOf } from "../lib/ceiling";
import { runLoad } from "../lib/load";
import { seedGroup } from "../lib/seed";
import type { BenchContext, Figure } from "../types";

/**
 * B4 — reads stay flat: with 10,000 rollouts and 1,000,000 status rows in the tables, p99 of
 * GET /rollouts/{id}, a page of GET /rollouts and a page of /rollouts/{id}/devices, for a
 * 1,000-device and a 100,000-device rollout (ratio between the two).
 *
 * The target is read at one connection: a client reading back to back (~800 requests a second,
 * far more than a room of dashboards), so p99 is the latency of a read. At 8 connections the one
 * server process is saturated and p99 is mostly waiting in line behind the other seven (p99 ≈
 * 8 / throughput); those runs are shown beside, as throughput, with no target.
 */
/** A deterministic version-4-shaped UUID from a seed (ids must look like the ones PostgreSQL generates). */
const v4 = (prefix: string, n: ReturnType<typeof sql>) => sql`(
  substr(md5(${prefix} || ${n}), 1, 8) || '-' || substr(md5(${prefix} || ${n}), 9, 4) || '-4' ||
  substr(md5(${prefix} || ${n}), 14, 3) || '-8' || substr(md5(${prefix} || ${n}), 18, 3) || '-' ||
  substr(md5(${prefix} || ${n}), 21, 12))::uuid`;

export async function flatReads(context: BenchContext, bigRolloutId: string, listedRolloutId: string): Promise<Figure[]> {
  const db = context.database.db;
  const rollouts = context.smoke ? 100 : 9_998;
  const rowsEach = context.smoke ? 10 : 90;
  const span = Math.max(1, context.devices - rowsEach);
  await sql`
    INSERT INTO rollouts (id, bundle_id, version, target_type, target_ids, target_count, status, total, pending, updating, succeeded, failed, cancelled, created_at, updated_at, completed_at)
    SELECT ${v4("bench-rollout-", sql`i`)}, ${context.bundleId}, '1.0.0', 'group', jsonb_build_array(${v4("bench-group-", sql`i`)}), 1, 'completed', ${rowsEach}, 0, 0, ${rowsEach}, 0, 0,
           now() - make_interval(mins => i), now() - make_interval(mins => i), now() - make_interval(mins => i)
    FROM generate_series(1, ${rollouts}::int) AS i
  `.execute(db);
  await sql`
    INSERT INTO rollout_statuses (rollout_id, device_id, device_name, status, attempt, started_at, completed_at, updated_at)
    SELECT ${v4("bench-rollout-", sql`i`)}, 'd' || lpad((((i * ${rowsEach}) % ${span}) + k)::text, 6, '0'),
           'Bench Device ' || (((i * ${rowsEach}) % ${span}) + k), 'succeeded', 1, now(), now(), now()
    FROM generate_series(1, ${rollouts}::int) AS i, generate_series(1, ${rowsEach}::int) AS k
  `.execute(db);
  await sql`ANALYZE`.execute(db);

  const small = Math.min(1_000, Math.floor(context.devices / 2));
  const groupId = await seedGroup(db, "Bench small", 1, small);
  const api = operatorApi(context.server.url, context.adminToken);
  const smallRollout = (
    await api.expectStatus(201, "POST", "/rollouts", {
      bundleId: context.bundleId,
      version: "1.2.0",
      targetType: "group",
      groupIds: [groupId],
    })
  ).body.rolloutId as string;
  const counts = await sql<{ rollouts: number; rows: number }>`
    SELECT (SELECT count(*)::int FROM rollouts) AS rollouts, (SELECT count(*)::int FROM rollout_statuses) AS rows
  `.execute(db);

  const measure = (path: string, connections = 1) =>
    runLoad({
      url: context.server.url,
      connections,
      durationSeconds: Math.max(2, context.seconds / 2),
      headers: { authorization: `Bearer ${context.adminToken}` },
      next: () => ({ path: `/api${path}` }),
    });
  const figures: Figure[] = [];
  const pair = async (id: string, name: string, pathOf: (rolloutId: string) => string) => {
    const smallRun = await measure(pathOf(smallRollout));
    const bigRun = await measure(pathOf(bigRolloutId));
    const saturated = await measure(pathOf(bigRolloutId), 8);
    const ratio = bigRun.p99Ms / Math.max(smallRun.p99Ms, 0.001);
    figures.push({
      id,
      name,
      value: bigRun.p99Ms,
      unit: "ms p99",
      p99Ms: bigRun.p99Ms,
      baseline: { name: `${small}-device rollout`, value: smallRun.p99Ms },
      ratio,
      target: "p99 ≤ 10 ms, ratio ≤ 1.5",
      met: bigRun.p99Ms <= 10 && ratio <= 1.5,
      correct: bigRun.non2xx + smallRun.non2xx + bigRun.errors + smallRun.errors === 0,
      notes: `1 connection: ${context.devices}-device rollout ${Math.round(bigRun.requestsPerSecond)} req/s, ${small}-device ${Math.round(smallRun.requestsPerSecond)} req/s`,
    });
    figures.push(saturatedFigure(`${id}-8c`, name, saturated));
  };
  const saturatedFigure = (id: string, name: string, run: Awaited<ReturnType<typeof measure>>): Figure => ({
    id,
    name: `${name}, 8 connections`,
    value: run.requestsPerSecond,
    unit: "req/s",
    p99Ms: run.p99Ms,
    target: "none: throughput when saturated",
    met: true,
    correct: run.non2xx + run.errors === 0,
    notes: `8 connections back to back: p50 ${run.p50Ms} ms, p99 ${run.p99Ms} ms`,
  });
  await pair("B4-rollout", "GET /rollouts/{id}", (id) => `/rollouts/${id}`);
  await listedRollout(context, measure, listedRolloutId, bigRolloutId, figures);
  await pair("B4-devices", "page of /rollouts/{id}/devices", (id) => `/rollouts/${id}/devices?page=1&pageSize=50`);
  // Pages of the list: one of ordinary rollouts near the top, one deep in the table (OFFSET must
  // not make it slow), and page 1 as it is after B3 — holding that run's 100,000-device rollout
  // by device list, whose `targetIds` the contract returns in full (~3.7 MB): no target, shown
  // so the cost of that contract choice is visible.
  const tableNote = `${counts.rows[0]!.rollouts.toLocaleString("en-US")} rollouts, ${counts.rows[0]!.rows.toLocaleString("en-US")} status rows`;
  const lastPage = Math.floor(rollouts / 20);
  const listFigure = async (id: string, name: string, path: string, target: boolean) => {
    const first = await api.expectStatus(200, "GET", path);
    const bytes = JSON.stringify(first.body).length;
    const run = await measure(path);
    const saturated = target ? await measure(path, 8) : undefined;
    figures.push({
      id,
      name,
      value: run.p99Ms,
      unit: "ms p99",
      p99Ms: run.p99Ms,
      target: target ? "p99 ≤ 10 ms" : "none: shows what the contract's full targetIds cost",
      met: target ? run.p99Ms <= 10 : true,
      correct: run.non2xx + run.errors === 0 && first.body.data.length === 20,
      notes: `${path}: ${(bytes / 1024).toFixed(0)} kB per page, ${Math.round(run.requestsPerSecond)} req/s at 1 connection; ${tableNote}`,
    });
    if (saturated) figures.push(saturatedFigure(`${id}-8c`, name, saturated));
  };
  await listFigure("B4-list", "page of GET /rollouts", "/rollouts?page=2&pageSize=20", true);
  await listFigure("B4-list-deep", "deep page of GET /rollouts", `/rollouts?page=${lastPage}&pageSize=20`, true);
  await listFigure("B4-list-first", "GET /rollouts page 1, with a 100,000-id rollout", "/rollouts?page=1&pageSize=20", false);
  await listFigure(
    "B4-list-first-summary",
    "the same page, targets=summary (what the dashboard asks for)",
    "/rollouts?page=1&pageSize=20&targets=summary",
    true,
  );
  return figures;
}

/**
 * The costly shape of a rollout read: a rollout that lists its devices — B3's, 100,000 ids, ~1 MB
 * of targetIds, which the REST answer carries in full — against the group rollout of the same
 * 100,000 devices, whose targetIds is one id. Also shown: a bare node:http server sending the same
 * bytes (the ceiling for moving 1 MB to the client) and the summary form.
 */
async function listedRollout(
  context: BenchContext,
  measure: (path: string, connections?: number) => ReturnType<typeof runLoad>,
  listedRolloutId: string,
  groupRolloutId: string,
  figures: Figure[],
) {
  const path = `/rollouts/${listedRolloutId}`;
  const sample = await sampleOf(
    await fetch(`${context.server.url}/api${path}`, { headers: { authorization: `Bearer ${context.adminToken}` } }),
  );
  const listed = JSON.parse(sample.body.toString("utf8")) as { targetIds: string[] };
  const groupRun = await measure(`/rollouts/${groupRolloutId}`);
  const listedRun = await measure(path);
  const summaryRun = await measure(`${path}?targets=summary`);
  const ceiling = await onBareServer(context.port + 1, sample, (bare) =>
    runLoad({
      url: bare.url,
      connections: 1,
      durationSeconds: Math.max(2, context.seconds / 2),
      headers: { authorization: `Bearer ${context.adminToken}` },
      next: () => ({ path: `/api${path}` }),
    }),
  );
  const ratio = listedRun.p99Ms / Math.max(groupRun.p99Ms, 0.001);
  figures.push({
    id: "B4-rollout-listed",
    name: "GET /rollouts/{id}, 100,000 listed devices vs a group of the same",
    value: listedRun.p99Ms,
    unit: "ms p99",
    p99Ms: listedRun.p99Ms,
    baseline: { name: "group rollout of the same devices", value: groupRun.p99Ms },
    ratio,
    target: "p99 ≤ 10 ms, ratio ≤ 1.5",
    met: listedRun.p99Ms <= 10 && ratio <= 1.5,
    correct:
      listed.targetIds.length === context.devices &&
      listedRun.non2xx + groupRun.non2xx + summaryRun.non2xx + listedRun.errors + groupRun.errors === 0,
    notes:
      `1 connection: ${(sample.body.length / 1024).toFixed(0)} kB per answer, ${Math.round(listedRun.requestsPerSecond)} req/s ` +
      `(group ${Math.round(groupRun.requestsPerSecond)}); bare node:http sending the same bytes: p99 ${ceiling.p99Ms} ms, ` +
      `${Math.round(ceiling.requestsPerSecond)} req/s; ?targets=summary: p99 ${summaryRun.p99Ms} ms, ${Math.round(summaryRun.requestsPerSecond)} req/s`,
  });
}
