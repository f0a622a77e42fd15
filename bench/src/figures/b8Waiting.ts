import { operatorApi } from "../lib/api";
import { deviceId } from "../lib/seed";
import type { BenchContext, Figure } from "../types";

/**
 * B8 — 1,000 staged rollouts waiting (half for their start time, half for a maintenance window
 * that is closed): the server's CPU over a quiet stretch, as a share of one core, against the same
 * server's CPU over an equal stretch before they existed (its tick running over nothing).
 */
export async function waitingRollouts(context: BenchContext): Promise<Figure[]> {
  const api = operatorApi(context.server.url, context.adminToken);
  const count = context.smoke ? 50 : 1_000;
  const seconds = context.smoke ? 3 : 20;
  const quietCpu = async () => {
    const before = context.server.stats().cpuSeconds;
    const started = performance.now();
    await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
    return (context.server.stats().cpuSeconds - before) / ((performance.now() - started) / 1000);
  };
  const idle = await quietCpu();
  const closedHour = (new Date().getUTCHours() + 12) % 24; // a window half a day away
  for (let index = 0; index < count; index++) {
    const devices = [deviceId(context.devices - 2 * index), deviceId(context.devices - 2 * index - 1)];
    const schedule =
      index % 2
        ? { startAt: new Date(Date.now() + 3_600_000).toISOString() }
        : { windows: [{ cron: `0 ${closedHour} * * *`, durationMinutes: 60, timezone: "UTC" }] };
    await api.expectStatus(201, "POST", "/rollouts", {
      bundleId: context.bundleId,
      version: "1.0.0",
      targetType: "device",
      deviceIds: devices,
      policy: { waves: [{ count: 1 }, { percent: 100 }], schedule },
    });
  }
  const waiting = (await api.expectStatus(200, "GET", "/rollouts?status=scheduled&pageSize=1")).body.totalCount as number;
  // Let what the creates set off (cache reloads of their devices, collection) settle first.
  await new Promise((resolve) => setTimeout(resolve, context.smoke ? 500 : 5_000));
  const busy = await quietCpu();
  return [
    {
      id: "B8",
      name: `controller, ${count.toLocaleString("en-US")} rollouts waiting`,
      value: busy * 100,
      unit: "% of a core",
      baseline: { name: "same server, none waiting", value: idle * 100 },
      target: "≤ 5 %",
      met: busy <= 0.05,
      correct: waiting >= count / 2,
      notes: `${waiting} scheduled, the rest waiting for a window; ${seconds} s each`,
    },
  ];
}
