import { sql } from "@signalbeam/db";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningServer, startServer } from "../src/server";
import { testDatabases } from "./support/databases";
import { countsByGroupBy, createBundleWithVersions, createFleet } from "./support/fleet";
import { restClient } from "./support/http";

const postgres = testDatabases.find((database) => database.name === "postgres");

/**
 * Two servers on one PostgreSQL, real clocks, real ticks: one leads the controller, a staged
 * rollout goes through its waves, a threshold pause, a resume and completion while reports land
 * on both — and the leader is shut down halfway, so the other takes over. Every wave starts once
 * and every transition happens once, whatever the two controllers raced for.
 */
describe.skipIf(!postgres)("the policy controller with two servers on one PostgreSQL", () => {
  let a: RunningServer;
  let b: RunningServer;
  let drop: () => Promise<void>;

  beforeAll(async () => {
    const created = await postgres!.create();
    drop = created.drop;
    const options = { databaseUrl: created.url, demo: false, controller: { leaderRetryMs: 200 } } as const;
    a = await startServer(options);
    b = await startServer({ ...options, admin: {} });
  }, 60_000);
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await drop?.();
  });

  async function until<T>(what: string, read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 8_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = await read();
      if (done(value)) return value;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(value)}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  it("runs a staged rollout to its end with each action applied once, across a leader hand-over", async () => {
    expect([a.leading(), b.leading()].filter(Boolean)).toHaveLength(1);
    const token = a.bootstrap!.generatedToken!;
    const viaA = restClient(a.url, token);
    const viaB = restClient(b.url, token);
    const { ids, tokens } = await createFleet(viaA, "replicas", 20);
    const bundleId = await createBundleWithVersions(viaA, "replicas", ["2.0.0"]);
    const created = await viaB.post("/rollouts", {
      bundleId,
      version: "2.0.0",
      targetType: "device",
      deviceIds: ids,
      policy: {
        waves: [{ name: "canary", count: 2 }, { percent: 50 }, { percent: 100 }],
        gate: { successPercent: 75, soakSeconds: 0 },
        failureThreshold: { percent: 20, minCompleted: 5, action: "pause" },
      },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const id = created.body.rolloutId as string;
    const read = () => viaA.get(`/rollouts/${id}?targets=summary`).then((answer) => answer.body);
    const pendingDevices = async () =>
      ((await viaB.get(`/rollouts/${id}/devices?status=pending&sort=deviceId`)).body.devices as { deviceId: string }[]).map(
        (device) => device.deviceId,
      );
    let turn = 0;
    const report = async (deviceId: string, outcome: "succeeded" | "failed") => {
      for (const status of ["updating", outcome]) {
        const api = turn++ % 2 ? viaA : viaB; // reports land on both servers
        const answer = await api.put(`/rollouts/${id}/status`, { deviceId, status }, tokens.get(deviceId));
        expect(answer.status, JSON.stringify(answer.body)).toBe(200);
      }
    };

    // Wave 1 (the canary): both succeed → wave 2 starts.
    for (const device of await pendingDevices()) await report(device, "succeeded");
    await until("wave 2", read, (rollout) => rollout.currentWave === 1);
    // Wave 2 (8 devices): 2 failures among the first 5 finished (40 % > 20 %) → paused.
    const second = await pendingDevices();
    expect(second).toHaveLength(8);
    await report(second[0]!, "failed");
    await report(second[1]!, "failed");
    for (const device of second.slice(2, 5)) await report(device, "succeeded");
    const paused = await until("the threshold pause", read, (rollout) => rollout.status === "paused");
    // Judged as soon as 5 had finished, or a report or two later on a tick of the other replica.
    expect(paused.pausedReason).toMatch(/^2 of [5-7] finished devices failed/);

    // The leader's lock connection is cut (a database restart or a network fault would do the
    // same): PostgreSQL frees the lock, a live connection takes it, and one server leads again.
    const lockHolder = async () =>
      (
        await sql<{ pid: number }>`SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted`.execute(a.database.db)
      ).rows.map((row) => row.pid);
    const [cut] = await lockHolder();
    expect(cut).toBeDefined();
    await sql`SELECT pg_terminate_backend(${cut}::int)`.execute(a.database.db);
    await until(
      "a new lock holder and one leader",
      async () => ({ holders: await lockHolder(), leaders: [a.leading(), b.leading()].filter(Boolean).length }),
      ({ holders, leaders }) => holders.length === 1 && holders[0] !== cut && leaders === 1,
      10_000,
    );

    // The leader goes away; the other server takes over.
    const [leader, follower] = a.leading() ? [a, b] : [b, a];
    const api = follower === a ? viaA : viaB;
    await leader.close();
    await until("the hand-over", async () => follower.leading(), Boolean, 10_000);

    expect((await api.post(`/rollouts/${id}/resume`)).status).toBe(200);
    for (const device of second.slice(5)) {
      const answer = await api.put(`/rollouts/${id}/status`, { deviceId: device, status: "updating" }, tokens.get(device));
      expect(answer.status).toBe(200);
      expect(
        (await api.put(`/rollouts/${id}/status`, { deviceId: device, status: "succeeded" }, tokens.get(device))).status,
      ).toBe(200);
    }
    // 6 of 8 succeeded (75 %) → wave 3 starts.
    await until(
      "wave 3",
      () => api.get(`/rollouts/${id}?targets=summary`).then((answer) => answer.body),
      (rollout) => rollout.currentWave === 2,
    );
    const third = ((await api.get(`/rollouts/${id}/devices?status=pending`)).body.devices as { deviceId: string }[]).map(
      (d) => d.deviceId,
    );
    expect(third).toHaveLength(10);
    for (const device of third) {
      expect((await api.put(`/rollouts/${id}/status`, { deviceId: device, status: "updating" }, tokens.get(device))).status).toBe(
        200,
      );
      expect(
        (await api.put(`/rollouts/${id}/status`, { deviceId: device, status: "succeeded" }, tokens.get(device))).status,
      ).toBe(200);
    }
    const done = (await api.get(`/rollouts/${id}?targets=summary`)).body;
    expect(done).toMatchObject({ status: "failed", progress: { succeeded: 18, failed: 2, queued: 0 } });
    expect(done.progress).toEqual(await countsByGroupBy(follower.database.db, id));

    const events = await sql<{ type: string; wave: number | null }>`
      SELECT type, (data->>'wave')::int AS wave FROM change_events WHERE rollout_id = ${id} ORDER BY id
    `.execute(follower.database.db);
    const count = (type: string, wave?: number) =>
      events.rows.filter((event) => event.type === type && (wave === undefined || event.wave === wave)).length;
    for (const wave of [0, 1, 2]) expect({ wave, started: count("rollout.wave_started", wave) }).toEqual({ wave, started: 1 });
    expect({ passed0: count("rollout.wave_passed", 0), passed1: count("rollout.wave_passed", 1) }).toEqual({
      passed0: 1,
      passed1: 1,
    });
    for (const type of ["rollout.created", "rollout.threshold_breached", "rollout.paused", "rollout.resumed", "rollout.failed"])
      expect({ type, times: count(type) }).toEqual({ type, times: 1 });
  }, 60_000);
});
