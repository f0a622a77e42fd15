import { spawn } from "node:child_process";
import { sql } from "@signalbeam/db";
import { operatorApi } from "../lib/api";
import { freshDatabase } from "../lib/database";
import { deviceId, deviceToken, seedBundle, seedDevices, seedGroup } from "../lib/seed";
import { startServerProcess } from "../lib/serverProcess";
import type { BenchContext, Figure } from "../types";

/**
 * B9 — the change log's consumers under load. A 100,000-device staged rollout (waves 1 %, 10 %,
 * 100 %, gate 90 %) is driven to its end by agents reporting at full speed (50 at a time,
 * updating → succeeded, every 50th device failed: 2,000 `device.failed` events besides the
 * rollout's own), twice in the same run:
 * - with 10 webhook subscriptions to every event, answered by a receiver in this process;
 * - then without subscriptions: the report rate the change log alone allows (the baseline).
 * B9-lag: each delivery's lag from its event becoming visible (a 20 ms poller of the change log
 * records when each event id first commits) to the receiver getting it; every event must reach
 * every subscription. B9-reports: the report rate with the subscriptions, as a ratio of the rate
 * without (the target allows a 10 % drop).
 */
export async function integrations(
  context: Omit<BenchContext, "server" | "database" | "databaseUrl" | "groupId">,
): Promise<Figure[]> {
  const devices = context.devices;
  const receiver = await startReceiver();
  const subscriptions = 10;
  try {
    // Each run in a database and server of its own, seeded alike: the second run must not find a
    // database the first one grew (a run on a used one measured up to 15 % slower).
    const withHooks = await inFreshFleet(context, "signalbeam_bench_b9_with", async (fleet) => {
      const api = operatorApi(fleet.server.url, fleet.adminToken);
      for (let index = 0; index < subscriptions; index++)
        await api.expectStatus(201, "POST", "/webhooks", {
          url: `${receiver.url}/hook/${index}`,
          eventTypes: ["*"],
          description: `B9 receiver ${index}`,
        });
      const run = await driveStagedRollout(fleet, devices);
      // Everything committed must arrive: wait for the backlog (a minute at most).
      const deadline = Date.now() + 60_000;
      while ((await receiver.counts()).count < run.events.size * subscriptions && Date.now() < deadline) await sleep(100);
      return run;
    });
    const expected = withHooks.events.size * subscriptions;
    const lags = await receiver.lags(withHooks.events);
    const counts = await receiver.counts();
    const quantile = (values: number[], q: number) => values[Math.min(values.length - 1, Math.floor(q * values.length))] ?? NaN;
    const p = (q: number) => quantile(lags.upper, q);
    const complete = counts.distinct === expected;
    const duplicates = counts.count - counts.distinct;
    const without = await inFreshFleet(context, "signalbeam_bench_b9_without", (fleet) => driveStagedRollout(fleet, devices));

    const ratio = withHooks.reportsPerSecond / without.reportsPerSecond;
    return [
      {
        id: "B9-lag",
        name: "webhook delivery lag, commit → receiver, 10 subscriptions",
        value: p(0.99),
        unit: "ms p99",
        p99Ms: p(0.99),
        target: "p99 ≤ 1 s, every event to every subscription",
        met: p(0.99) <= 1000 && complete,
        correct: complete && withHooks.errors === 0,
        notes:
          `${withHooks.events.size.toLocaleString("en-US")} events × ${subscriptions} subscriptions = ` +
          `${expected.toLocaleString("en-US")} deliveries, ${counts.distinct.toLocaleString("en-US")} arrived` +
          `${duplicates ? ` (+${duplicates} sent again)` : ""}; lag from the event's transaction start (an upper bound): ` +
          `p50 ${Math.round(p(0.5))} ms, max ${Math.round(lags.upper.at(-1) ?? NaN)} ms (the rollout's create: its transaction's length); ` +
          `from a 20 ms watcher seeing the commit (a lower bound): p50 ${Math.round(quantile(lags.lower, 0.5))} ms, ` +
          `p99 ${Math.round(quantile(lags.lower, 0.99))} ms; ` +
          `while agents reported at ${Math.round(withHooks.reportsPerSecond)}/s`,
      },
      {
        id: "B9-reports",
        name: "status reports of a staged rollout, with 10 webhook subscriptions",
        value: withHooks.reportsPerSecond,
        unit: "reports/s",
        baseline: { name: "the same rollout and reports, no subscriptions", value: without.reportsPerSecond },
        ratio,
        target: "≥ 0.9× without subscriptions",
        met: ratio >= 0.9,
        correct: withHooks.errors === 0 && without.errors === 0 && withHooks.exact && without.exact,
        notes:
          `${withHooks.reports.toLocaleString("en-US")} reports in ${(withHooks.ms / 1000).toFixed(1)} s with, ` +
          `${without.reports.toLocaleString("en-US")} in ${(without.ms / 1000).toFixed(1)} s without; ` +
          `server CPU ${withHooks.serverCpuMsPerReport.toFixed(2)} ms per report with (deliveries included), ` +
          `${without.serverCpuMsPerReport.toFixed(2)} ms without; ` +
          `rollouts ended ${withHooks.status} / ${without.status}; ${withHooks.errors + without.errors} failed reports`,
      },
    ];
  } finally {
    await receiver.close();
  }
}

/** A fresh database seeded like the main run's (devices, bundle, one group), and a server process on it. */
async function inFreshFleet<T>(
  context: Omit<BenchContext, "server" | "database" | "databaseUrl" | "groupId">,
  name: string,
  run: (fleet: BenchContext) => Promise<T>,
): Promise<T> {
  const database = await freshDatabase(name);
  try {
    await seedDevices(database.handle.db, 1, context.devices);
    await seedBundle(database.handle.db, ["1.0.0", "1.1.0", "1.2.0"]);
    const groupId = await seedGroup(database.handle.db, "B9 Fleet", 1, context.devices);
    await sql`ANALYZE`.execute(database.handle.db);
    const server = await startServerProcess({ databaseUrl: database.url, port: context.port });
    try {
      return await run({ ...context, database: database.handle, databaseUrl: database.url, server, groupId });
    } finally {
      await server.stop();
    }
  } finally {
    await database.drop();
  }
}

/**
 * Creates the staged rollout and reports every released device to its end, 50 devices at a time,
 * as soon as each is released; records when each change-log event of the rollout first became
 * visible. Resolves when the rollout has ended.
 */
async function driveStagedRollout(context: BenchContext, devices: number) {
  const db = context.database.db;
  const api = operatorApi(context.server.url, context.adminToken);
  const ids = Array.from({ length: devices }, (_, index) => deviceId(index + 1));
  const tokenOf = new Map(ids.map((id, index) => [id, deviceToken(index + 1)]));
  const failing = new Set(ids.filter((_, index) => (index + 1) % 50 === 0));
  // Event id → its transaction's start (`at`, the server's clock, before the commit) and when the
  // watcher first saw it committed (after the commit): the commit lies between the two.
  const events = new Map<string, { at: number; seen: number }>();
  let lastEvent =
    (await sql<{ id: string | null }>`SELECT max(id)::text AS id FROM change_events`.execute(db)).rows[0]!.id ?? "0";

  let done = false;
  let status = "";
  // Set once the rollout exists; the watcher, started before, reads it.
  let rolloutId: string | undefined = undefined;
  let cursor = { wave: -1, device: "" };
  const queue: string[] = [];
  // The change log and the rollout's released devices, watched from the side (as a CDC reader would),
  // from before the rollout is created.
  const watcher = (async () => {
    let lastRelease = 0;
    while (!done) {
      const seen = Date.now();
      const fresh = await sql<{ id: string; at: Date }>`
        SELECT id::text AS id, at FROM change_events WHERE id > ${lastEvent} ORDER BY id`.execute(db);
      for (const row of fresh.rows) events.set(row.id, { at: row.at.getTime(), seen });
      if (fresh.rows.length) lastEvent = fresh.rows.at(-1)!.id;
      if (rolloutId && Date.now() - lastRelease > 100) {
        lastRelease = Date.now();
        // Released devices in release order, from where the last read stopped: waves are released
        // in order, and a device not released yet is queued, not pending, so the cursor waits for it.
        if (queue.length < 5_000) {
          const released = await sql<{ wave: number; device_id: string }>`
            SELECT wave, device_id FROM rollout_statuses
            WHERE rollout_id = ${rolloutId} AND status = 'pending' AND (wave, device_id) > (${cursor.wave}, ${cursor.device})
            ORDER BY wave, device_id LIMIT 20000`.execute(db);
          for (const row of released.rows) queue.push(row.device_id);
          const last = released.rows.at(-1);
          if (last) cursor = { wave: last.wave, device: last.device_id };
        }
        status = (await sql<{ status: string }>`SELECT status FROM rollouts WHERE id = ${rolloutId}`.execute(db)).rows[0]!.status;
        if (status === "completed" || status === "failed" || status === "cancelled") done = true;
      }
      await sleep(20);
    }
  })();

  const created = await api.expectStatus(201, "POST", "/rollouts", {
    bundleId: context.bundleId,
    version: "1.1.0",
    targetType: "group",
    groupIds: [context.groupId],
    policy: { waves: [{ percent: 1 }, { percent: 10 }, { percent: 100 }], gate: { successPercent: 90 } },
  });
  rolloutId = created.body.rolloutId as string;

  let reports = 0;
  let errors = 0;
  const report = async (device: string, state: string) => {
    const response = await fetch(`${context.server.url}/api/rollouts/${rolloutId}/status`, {
      method: "PUT",
      headers: { authorization: `Bearer ${tokenOf.get(device)}`, "content-type": "application/json" },
      body: JSON.stringify({ deviceId: device, status: state, ...(state === "failed" ? { errorMessage: "bench failure" } : {}) }),
    });
    await response.arrayBuffer();
    if (response.status === 200) reports++;
    else errors++;
  };
  const started = performance.now();
  const cpuBefore = context.server.stats().cpuSeconds;
  let busyMs = 0;
  await Promise.all(
    Array.from({ length: 50 }, async () => {
      while (!done) {
        const device = queue.shift();
        if (!device) {
          await sleep(5);
          continue;
        }
        const begun = performance.now();
        await report(device, "updating");
        await report(device, failing.has(device) ? "failed" : "succeeded");
        busyMs += performance.now() - begun;
      }
    }),
  );
  const ms = performance.now() - started;
  const serverCpuMsPerReport = ((context.server.stats().cpuSeconds - cpuBefore) * 1000) / Math.max(1, reports);
  await watcher;
  // The last events (the rollout's end) are seen by the watcher's final pass.
  const tail = await sql<{ id: string; at: Date }>`
    SELECT id::text AS id, at FROM change_events WHERE id > ${lastEvent} ORDER BY id`.execute(db);
  for (const row of tail.rows) events.set(row.id, { at: row.at.getTime(), seen: Date.now() });
  const check = await sql<{ exact: boolean }>`
    SELECT (SELECT count(*) FILTER (WHERE status = 'succeeded') FROM rollout_statuses WHERE rollout_id = ${rolloutId}) = r.succeeded
       AND (SELECT count(*) FILTER (WHERE status = 'failed') FROM rollout_statuses WHERE rollout_id = ${rolloutId}) = r.failed AS exact
    FROM rollouts r WHERE r.id = ${rolloutId}`.execute(db);
  // Reports per second of the 50 reporters' busy time: the waits for a wave to be released (the
  // controller's gate) are the same in both runs and not report throughput.
  const reportsPerSecond = reports / (busyMs / 50 / 1000);
  return { rolloutId, events, reports, errors, ms, reportsPerSecond, serverCpuMsPerReport, status, exact: check.rows[0]!.exact };
}

/**
 * The subscriptions' endpoint, in a process of its own (a receiver lives elsewhere; in the load
 * client's process it would slow the reporters it is measured against): answers 204 at once and
 * notes when each (subscription, webhook-id) first arrived.
 */
const receiverScript = `
const http = require("node:http");
const arrivals = new Map();
let count = 0;
const server = http.createServer((request, response) => {
  request.resume();
  request.on("end", () => {
    count++;
    const key = request.url + " " + request.headers["webhook-id"];
    if (!arrivals.has(key)) arrivals.set(key, Date.now());
    response.writeHead(204).end();
  });
});
server.keepAliveTimeout = 65000;
server.listen(0, "127.0.0.1", () => process.send({ port: server.address().port }));
process.on("message", (message) => {
  if (message === "counts") process.send({ count, distinct: arrivals.size });
  if (message === "arrivals") process.send({ arrivals: [...arrivals] });
});
`;

async function startReceiver() {
  const child = spawn(process.execPath, ["-e", receiverScript], { stdio: ["ignore", "inherit", "inherit", "ipc"] });
  const next = () => new Promise<any>((resolve) => child.once("message", resolve));
  const { port } = await next();
  const ask = async (question: string) => {
    const answer = next();
    child.send(question);
    return answer;
  };
  return {
    url: `http://127.0.0.1:${port}`,
    counts: (): Promise<{ count: number; distinct: number }> => ask("counts"),
    /**
     * Every arrival's lag behind its event's commit, sorted: `upper` from the event's transaction
     * start (at least the true lag), `lower` from when the watcher saw it (at most the true lag).
     */
    async lags(events: Map<string, { at: number; seen: number }>) {
      const { arrivals } = (await ask("arrivals")) as { arrivals: [string, number][] };
      const upper: number[] = [];
      const lower: number[] = [];
      for (const [key, arrived] of arrivals) {
        const event = events.get(key.split(" ")[1]!);
        if (!event) continue;
        upper.push(arrived - event.at);
        lower.push(Math.max(0, arrived - event.seen));
      }
      const sort = (values: number[]) => values.sort((a, b) => a - b);
      return { upper: sort(upper), lower: sort(lower) };
    },
    close: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once("exit", () => resolve());
        child.kill();
      }),
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
