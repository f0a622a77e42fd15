import { sql } from "@signalbeam/db";
import { operatorApi } from "../lib/api";
import { deviceId, deviceToken } from "../lib/seed";
import type { BenchContext, Figure } from "../types";

/**
 * B7 — a staged rollout of the whole fleet: waves [1 %, 10 %, 100 %], gate 95 %, soak 0.
 * - B7-create: creating it, against B3's raw INSERT … SELECT of as many status rows (B3's targets),
 *   with no other rollout active (as in B3).
 * - B7-release: from the report that passes wave 2's gate to a device of the 90,000-device wave
 *   answering its poll with the rollout — the controller waking, releasing 90,000 devices in one
 *   transaction, and the agent cache reloading. Ceiling: a raw UPDATE of as many status rows and
 *   desired states, in the same run.
 * - B7-gate: the same gate → poll latency over many small staged rollouts (1,000 devices each), and
 *   B7-threshold: from the report that crosses a failure threshold to the rollout answering
 *   `paused`. Their ceiling: a report followed by a read on a rollout without a policy — the same
 *   two requests, no controller between them.
 */
class RolledBack extends Error {}

export async function stagedRollouts(context: BenchContext, activeRolloutId: string, rawInsertMs: number): Promise<Figure[]> {
  const api = operatorApi(context.server.url, context.adminToken);
  const url = context.server.url;
  const n = context.devices;
  const ids = Array.from({ length: n }, (_, index) => deviceId(index + 1));
  const tokenOf = new Map(ids.map((id, index) => [id, deviceToken(index + 1)]));
  const report = async (rolloutId: string, device: string, status: string) => {
    const response = await fetch(`${url}/api/rollouts/${rolloutId}/status`, {
      method: "PUT",
      headers: { authorization: `Bearer ${tokenOf.get(device)}`, "content-type": "application/json" },
      body: JSON.stringify({ deviceId: device, status, ...(status === "failed" ? { errorMessage: "bench failure" } : {}) }),
    });
    if (response.status !== 200) throw new Error(`report ${status} for ${device}: ${response.status} ${await response.text()}`);
  };
  const finish = async (rolloutId: string, devices: string[], outcome: "succeeded" | "failed" = "succeeded") => {
    for (let start = 0; start < devices.length; start += 50)
      await Promise.all(
        devices.slice(start, start + 50).map(async (device) => {
          await report(rolloutId, device, "updating");
          await report(rolloutId, device, outcome);
        }),
      );
  };
  const pendingOf = async (rolloutId: string, limit: number) =>
    (
      await api.expectStatus<{ devices: { deviceId: string }[] }>(
        200,
        "GET",
        `/rollouts/${rolloutId}/devices?status=pending&pageSize=${Math.min(limit, 1000)}&sort=deviceId`,
      )
    ).body.devices.map((device) => device.deviceId);
  /** A wave's released devices (an earlier wave's stragglers stay pending too, and do not count for this gate). */
  const pendingIn = async (rolloutId: string, wave: number) =>
    (
      await sql<{ device_id: string }>`
        SELECT device_id FROM rollout_statuses
        WHERE rollout_id = ${rolloutId} AND status = 'pending' AND wave = ${wave} ORDER BY device_id
      `.execute(context.database.db)
    ).rows.map((row) => row.device_id);
  const queuedIn = async (rolloutId: string, wave: number) =>
    (
      await sql<{ device_id: string }>`
        SELECT device_id FROM rollout_statuses WHERE rollout_id = ${rolloutId} AND wave = ${wave} LIMIT 1
      `.execute(context.database.db)
    ).rows[0]!.device_id;
  /** Milliseconds from `trigger` until `done` answers true (polled as fast as the server answers). */
  const timeUntil = async (trigger: () => Promise<unknown>, done: () => Promise<boolean>) => {
    const started = performance.now();
    await trigger();
    for (let i = 0; !(await done()); i++) if (i > 20_000) throw new Error("timed out");
    return performance.now() - started;
  };
  const pollsRollout = (device: string, rolloutId: string) => async () => {
    const response = await fetch(`${url}/api/devices/${device}/desired-state`, {
      headers: { authorization: `Bearer ${tokenOf.get(device)}` },
    });
    return ((await response.json()) as { rolloutId: string | null }).rolloutId === rolloutId;
  };
  const policy = { waves: [{ percent: 1 }, { percent: 10 }, { percent: 100 }], gate: { successPercent: 95, soakSeconds: 0 } };

  // The whole fleet, staged — in the state B3 created its group rollout in: no other rollout
  // active, so creating it supersedes nothing (cancelling the earlier figures' rollout first).
  // (A smoke run's reports may have completed it already: nothing to cancel then.)
  const cancelled = await api.call("POST", `/rollouts/${activeRolloutId}/cancel`);
  if (cancelled.status !== 204 && cancelled.status !== 409) throw new Error(`cancel: ${cancelled.status}`);
  const created = await api.expectStatus(201, "POST", "/rollouts", {
    bundleId: context.bundleId,
    version: "1.2.0",
    targetType: "group",
    groupIds: [context.groupId],
    policy,
  });
  const big = created.body.rolloutId as string;
  const gateSamples: number[] = [];
  const passGate = async (rolloutId: string, wave: number) => {
    const released = await pendingIn(rolloutId, wave);
    const need = Math.ceil(0.95 * released.length);
    await finish(rolloutId, released.slice(0, need - 1));
    const next = await queuedIn(rolloutId, wave + 1);
    const [last] = released.slice(need - 1, need);
    return timeUntil(
      async () => {
        await report(rolloutId, last!, "updating");
        await report(rolloutId, last!, "succeeded");
      },
      pollsRollout(next, rolloutId),
    );
  };
  gateSamples.push(await passGate(big, 0));
  // The 90 % wave's gate is B7-release, with its own target; B7-gate is every other gate.
  const releaseMs = await passGate(big, 1);
  const bigRollout = (await api.expectStatus(200, "GET", `/rollouts/${big}?targets=summary`)).body;
  const released = bigRollout.waves[2].progress.pending + bigRollout.waves[2].progress.inProgress;

  // The release's ceiling: a twin of the rollout, created the same way (so its rows are in the
  // state the release found them in), whose 90 % wave raw statements release — status rows queued →
  // pending, desired states pointed at it — in a transaction rolled back afterwards. (Changing the
  // released rows back instead measured the table's dead tuples, slower than the release itself.)
  const db = context.database.db;
  const twin = (
    await api.expectStatus(201, "POST", "/rollouts", {
      bundleId: context.bundleId,
      version: "1.1.0",
      targetType: "group",
      groupIds: [context.groupId],
      policy,
    })
  ).body.rolloutId as string;
  let rawReleaseMs = 0;
  await db
    .transaction()
    .execute(async (tx) => {
      // The planner setting the controller's release runs under (see withoutNestedLoops).
      await sql`SET LOCAL enable_nestloop = off`.execute(tx);
      const rawStarted = performance.now();
      await sql`WITH r AS (UPDATE rollout_statuses SET status = 'pending', updated_at = now()
                           WHERE rollout_id = ${twin} AND wave = 2 AND status = 'queued' RETURNING device_id)
                UPDATE device_desired_states dd SET rollout_id = ${twin}, bundle_id = ${context.bundleId}, version = '1.1.0', updated_at = now()
                FROM r WHERE dd.device_id = r.device_id`.execute(tx);
      rawReleaseMs = performance.now() - rawStarted;
      throw new RolledBack();
    })
    .catch((error: unknown) => {
      if (!(error instanceof RolledBack)) throw error;
    });

  // Many small staged rollouts: gate → poll, and threshold → paused; and the plain-rollout floor.
  const samples = context.smoke ? 3 : 30;
  const size = Math.min(1_000, Math.floor(n / (samples + 2)));
  const thresholdSamples: number[] = [];
  const floorSamples: number[] = [];
  for (let sample = 0; sample < samples; sample++) {
    const devices = ids.slice(sample * size, (sample + 1) * size);
    const small = (
      await api.expectStatus(201, "POST", "/rollouts", {
        bundleId: context.bundleId,
        version: "1.1.0",
        targetType: "device",
        deviceIds: devices,
        policy,
      })
    ).body.rolloutId as string;
    gateSamples.push(await passGate(small, 0));
    const paused = (
      await api.expectStatus(201, "POST", "/rollouts", {
        bundleId: context.bundleId,
        version: "1.2.0",
        targetType: "device",
        deviceIds: devices,
        policy: { failureThreshold: { percent: 10, minCompleted: 20, action: "pause" } },
      })
    ).body.rolloutId as string;
    const first = await pendingOf(paused, 20);
    await finish(paused, first.slice(0, 17));
    await finish(paused, first.slice(17, 19), "failed");
    thresholdSamples.push(
      await timeUntil(
        async () => {
          await report(paused, first[19]!, "updating");
          await report(paused, first[19]!, "failed");
        },
        async () => (await api.call(`GET`, `/rollouts/${paused}?targets=summary`)).body.status === "paused",
      ),
    );
    const plain = (
      await api.expectStatus(201, "POST", "/rollouts", {
        bundleId: context.bundleId,
        version: "1.0.0",
        targetType: "device",
        deviceIds: devices.slice(0, 20),
      })
    ).body.rolloutId as string;
    floorSamples.push(
      await timeUntil(
        async () => {
          await report(plain, devices[0]!, "updating");
          await report(plain, devices[0]!, "failed");
        },
        async () => (await api.call(`GET`, `/rollouts/${plain}?targets=summary`)).body.progress.failed === 1,
      ),
    );
  }
  const p99 = (values: number[]) =>
    [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.ceil(values.length * 0.99) - 1)]!;
  const floor = p99(floorSamples);
  const devicesNote = `${n.toLocaleString("en-US")} devices`;
  return [
    {
      id: "B7-create",
      name: "create a staged rollout, one group",
      value: created.ms / 1000,
      unit: "s",
      baseline: { name: "raw INSERT … SELECT (B3)", value: rawInsertMs / 1000 },
      ratio: created.ms / rawInsertMs,
      target: "≤ 3 s and ≤ 3× raw",
      met: created.ms <= 3_000 && created.ms / rawInsertMs <= 3,
      correct:
        bigRollout.waves.map((wave: { size: number }) => wave.size).join(",") ===
        [n / 100, n / 10 - n / 100, n - n / 10].join(","),
      notes: `${devicesNote}, waves ${bigRollout.waves.map((wave: { size: number }) => wave.size).join(" / ")}`,
    },
    {
      id: "B7-release",
      name: "gate passed → 90 % wave answering polls",
      value: releaseMs / 1000,
      unit: "s",
      baseline: { name: `raw UPDATE of ${released.toLocaleString("en-US")} rows`, value: rawReleaseMs / 1000 },
      ratio: releaseMs / rawReleaseMs,
      target: "≤ 2 s",
      met: releaseMs <= 2_000,
      correct: released === n - n / 10,
      notes: `${released.toLocaleString("en-US")} devices released in one step`,
    },
    {
      id: "B7-gate",
      name: "gate passed → next wave polls, p99",
      value: p99(gateSamples),
      unit: "ms",
      baseline: { name: "report + read, no policy (p99)", value: floor },
      ratio: p99(gateSamples) / floor,
      target: "p99 ≤ 1 s",
      met: p99(gateSamples) <= 1_000,
      correct: true,
      notes: `${gateSamples.length} gates: the 10 % wave's of the 100,000-device rollout, and small rollouts' (the 90 % wave: B7-release)`,
    },
    {
      id: "B7-threshold",
      name: "threshold crossed → rollout paused, p99",
      value: p99(thresholdSamples),
      unit: "ms",
      baseline: { name: "report + read, no policy (p99)", value: floor },
      ratio: p99(thresholdSamples) / floor,
      target: "≤ 1 s",
      met: p99(thresholdSamples) <= 1_000,
      correct: true,
      notes: `${thresholdSamples.length} rollouts`,
    },
  ];
}
