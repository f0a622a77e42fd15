import { sql } from "@signalbeam/db";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningServer, startServer } from "../src/server";
import { testDatabases } from "./support/databases";
import { countsByGroupBy, createBundleWithVersions, createFleet, tableSnapshot } from "./support/fleet";
import { type RestClient, restClient } from "./support/http";

/**
 * Progressive delivery (docs/DESIGN.md, "Progressive delivery: rollout policies"), rule by rule, at
 * the REST edge. Time is a fake clock the tests move: no test sleeps for a time-based rule; the
 * controller's tick is off, and each test asks it to act (`runDue`) after moving the clock.
 */
describe.each(testDatabases)("progressive delivery on $name", (database) => {
  let server: RunningServer;
  let api: RestClient;
  let drop: () => Promise<void>;
  let now = Date.parse("2026-03-28T12:00:00Z");
  const clock = () => new Date(now);
  const advance = async (seconds: number) => {
    now += seconds * 1000;
    await server.controller.runDue();
  };

  beforeAll(async () => {
    const created = await database.create();
    drop = created.drop;
    server = await startServer({
      databaseUrl: created.url,
      dataDir: created.dataDir,
      demo: false,
      clock,
      controller: { tick: false },
    });
    api = restClient(server.url, server.bootstrap!.generatedToken);
  }, 60_000);
  afterAll(async () => {
    await server?.close();
    await drop?.();
  });

  const db = () => server.database.db;
  let suite = 0;
  async function setup(devices: number, versions = ["1.0.0", "1.1.0"]) {
    const name = `pd-${database.name}-${++suite}`;
    const fleet = await createFleet(api, name, devices);
    const bundleId = await createBundleWithVersions(api, name, versions);
    return { ...fleet, bundleId };
  }
  async function create(bundleId: string, version: string, deviceIds: string[], policy?: unknown) {
    const created = await api.post("/rollouts", {
      bundleId,
      version,
      targetType: "device",
      deviceIds,
      ...(policy ? { policy } : {}),
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    await server.controller.runDue();
    return created.body.rolloutId as string;
  }
  const rollout = async (id: string) => {
    const answer = await api.get(`/rollouts/${id}?targets=summary`);
    expect(answer.status).toBe(200);
    return answer.body;
  };
  const devicesIn = async (id: string, status: string) =>
    ((await api.get(`/rollouts/${id}/devices?status=${status}&sort=deviceId`)).body.devices as { deviceId: string }[]).map(
      (device) => device.deviceId,
    );
  async function report(tokens: Map<string, string>, rolloutId: string, deviceId: string, ...statuses: string[]) {
    for (const status of statuses) {
      const body = { deviceId, status, ...(status === "failed" ? { errorMessage: "container app exited with code 1" } : {}) };
      const answer = await api.put(`/rollouts/${rolloutId}/status`, body, tokens.get(deviceId));
      expect(answer.status, `${deviceId} ${status}: ${JSON.stringify(answer.body)}`).toBe(200);
    }
    await server.controller.runDue();
  }
  /** The counters of the rollout and of each wave equal a GROUP BY over its rows. */
  async function expectExactCounters(id: string) {
    const body = await rollout(id);
    const { total: _total, ...progress } = body.progress;
    const truth = await countsByGroupBy(db(), id);
    expect(body.progress).toEqual(truth);
    const perWave = await sql<{ wave: number; status: string; n: number }>`
      SELECT wave, status, count(*)::int AS n FROM rollout_statuses WHERE rollout_id = ${id} GROUP BY wave, status
    `.execute(db());
    for (const wave of body.waves) {
      const rows = perWave.rows.filter((row) => row.wave === wave.index);
      const expected = { queued: 0, pending: 0, inProgress: 0, succeeded: 0, failed: 0, cancelled: 0 };
      for (const row of rows) expected[row.status === "updating" ? "inProgress" : (row.status as "queued")] += row.n;
      expect({ wave: wave.index, ...wave.progress }).toEqual({ wave: wave.index, total: wave.size, ...expected });
    }
    return { ...body, progress };
  }
  const events = async (rolloutId: string) =>
    (
      await sql<{ type: string; data: Record<string, unknown> }>`
        SELECT type, data FROM change_events WHERE rollout_id = ${rolloutId} ORDER BY id
      `.execute(db())
    ).rows;

  it("releases waves in order: gate, soak, next wave; queued devices keep their old desired state", async () => {
    const { ids, tokens, bundleId } = await setup(20);
    const first = await create(bundleId, "1.0.0", ids);
    for (const id of ids) await report(tokens, first, id, "updating", "succeeded");

    const id = await create(bundleId, "1.1.0", ids, {
      waves: [{ name: "canary", percent: 10 }, { percent: 50 }, { percent: 100 }],
      gate: { successPercent: 100, soakSeconds: 60 },
    });
    let body = await expectExactCounters(id);
    expect(body).toMatchObject({ status: "pending", currentWave: 0, waitingFor: "gate", kind: "standard" });
    expect(body.waves.map((wave: { size: number }) => wave.size)).toEqual([2, 8, 10]);
    expect(body.progress).toMatchObject({ pending: 2, queued: 18 });
    const canary = await devicesIn(id, "pending");
    const waiting = ids.filter((device) => !canary.includes(device));
    // Released devices point here; queued ones still run what they ran (1.0.0, no rollout to report to).
    for (const device of canary)
      expect((await api.get(`/devices/${device}/desired-state`, tokens.get(device))).body).toMatchObject({
        rolloutId: id,
        version: "1.1.0",
      });
    expect((await api.get(`/devices/${waiting[0]}/desired-state`, tokens.get(waiting[0]!))).body).toMatchObject({
      rolloutId: null,
      version: "1.0.0",
    });
    // A queued device cannot report: its wave has not started.
    const early = await api.put(`/rollouts/${id}/status`, { deviceId: waiting[0], status: "updating" }, tokens.get(waiting[0]!));
    expect(early.status).toBe(409);
    expect(early.body.message).toMatch(/queued/);

    await report(tokens, id, canary[0]!, "updating", "succeeded");
    expect(await rollout(id)).toMatchObject({ currentWave: 0, waitingFor: "gate" });
    await report(tokens, id, canary[1]!, "updating", "succeeded");
    body = await expectExactCounters(id);
    expect(body).toMatchObject({ currentWave: 0, waitingFor: "soak", nextActionAt: new Date(now + 60_000).toISOString() });
    expect(body.waves[0].passedAt).toBe(new Date(now).toISOString());

    await advance(59);
    expect(await rollout(id)).toMatchObject({ currentWave: 0, waitingFor: "soak", progress: { pending: 0, queued: 18 } });
    await advance(1);
    body = await expectExactCounters(id);
    expect(body).toMatchObject({ currentWave: 1, waitingFor: "gate", progress: { pending: 8, queued: 10, succeeded: 2 } });
    expect(body.waves[1].startedAt).toBe(new Date(now).toISOString());

    const types = (await events(id)).map((event) => event.type);
    expect(types).toEqual(["rollout.created", "rollout.wave_started", "rollout.wave_passed", "rollout.wave_started"]);
  });

  it("pauses on the failure threshold (checked before the gate), resumes counting afresh, and completes", async () => {
    const { ids, tokens, bundleId } = await setup(10);
    const id = await create(bundleId, "1.1.0", ids, {
      waves: [{ count: 5 }, { percent: 100 }],
      gate: { successPercent: 60, soakSeconds: 0 },
      failureThreshold: { percent: 30, minCompleted: 3, action: "pause" },
    });
    const [a, b, c, d, e] = await devicesIn(id, "pending");
    await report(tokens, id, a!, "updating", "failed");
    await report(tokens, id, b!, "updating", "failed");
    // 2 of 2 failed, but fewer than minCompleted (3) finished: no verdict yet.
    expect(await rollout(id)).toMatchObject({ status: "in_progress", pausedReason: null });
    await report(tokens, id, c!, "updating", "succeeded");
    let body = await expectExactCounters(id);
    expect(body).toMatchObject({ status: "paused", currentWave: 0, waitingFor: null });
    expect(body.pausedReason).toMatch(/2 of 3 finished devices failed \(66\.7 %\), more than the failure threshold of 30 %/);
    // Paused: released devices carry on, nothing more is released, even when the gate passes.
    await report(tokens, id, d!, "updating", "succeeded");
    await report(tokens, id, e!, "updating", "succeeded");
    body = await expectExactCounters(id);
    expect(body).toMatchObject({ status: "paused", currentWave: 0, progress: { queued: 5 } });

    const resumed = await api.post(`/rollouts/${id}/resume`);
    expect(resumed.status, JSON.stringify(resumed.body)).toBe(200);
    // Failures before the resume were judged already: the gate (3 of 5 ≥ 60 %) passes, wave 2 starts.
    expect(resumed.body).toMatchObject({
      status: "in_progress",
      currentWave: 1,
      pausedReason: null,
      progress: { pending: 5, queued: 0 },
    });
    expect((await api.post(`/rollouts/${id}/resume`)).status).toBe(409);
    for (const device of await devicesIn(id, "pending")) await report(tokens, id, device, "updating", "succeeded");
    body = await expectExactCounters(id);
    expect(body).toMatchObject({ status: "failed", progress: { succeeded: 8, failed: 2 } });

    const types = (await events(id)).map((event) => event.type);
    expect(types.filter((type) => type === "rollout.threshold_breached")).toHaveLength(1);
    expect(types.filter((type) => type === "device.failed")).toHaveLength(2);
    expect(types).toEqual(expect.arrayContaining(["rollout.paused", "rollout.resumed", "rollout.failed"]));
  });

  it("times out a stuck update, refuses its late report, retries with backoff, and the retry confirms", async () => {
    const { ids, tokens, bundleId } = await setup(2);
    const id = await create(bundleId, "1.1.0", ids, {
      deviceTimeoutSeconds: 60,
      retry: { maxAttempts: 2, backoffSeconds: 30 },
    });
    const [slow, fine] = ids as [string, string];
    await report(tokens, id, slow, "updating");
    await report(tokens, id, fine, "updating", "succeeded");
    expect(await rollout(id)).toMatchObject({ nextActionAt: new Date(now + 60_000).toISOString() });
    await advance(59);
    expect(await devicesIn(id, "updating")).toEqual([slow]);
    await advance(1);
    // Timed out → failed → queued for its retry at once (attempts left), released after 30 s.
    let rows = (await api.get(`/rollouts/${id}/devices?status=queued`)).body.devices;
    expect(rows).toEqual([
      expect.objectContaining({
        deviceId: slow,
        attempt: 1,
        errorMessage: "timed out after 60 s",
        nextAttemptAt: new Date(now + 30_000).toISOString(),
      }),
    ]);
    expect(await rollout(id)).toMatchObject({ status: "in_progress", waitingFor: "retry", progress: { queued: 1 } });
    // Its late report is refused; its desired state still names the attempt that failed.
    const late = await api.put(`/rollouts/${id}/status`, { deviceId: slow, status: "succeeded" }, tokens.get(slow));
    expect(late.status).toBe(409);
    expect((await api.get(`/devices/${slow}/desired-state`, tokens.get(slow))).body).toMatchObject({ rolloutId: id, attempt: 1 });

    await advance(30);
    rows = (await api.get(`/rollouts/${id}/devices?status=pending`)).body.devices;
    expect(rows).toEqual([expect.objectContaining({ deviceId: slow, attempt: 2, errorMessage: null, nextAttemptAt: null })]);
    expect((await api.get(`/devices/${slow}/desired-state`, tokens.get(slow))).body).toMatchObject({ rolloutId: id, attempt: 2 });
    await report(tokens, id, slow, "updating", "succeeded");
    expect(await expectExactCounters(id)).toMatchObject({ status: "completed", progress: { succeeded: 2 } });
    const types = (await events(id)).map((event) => event.type);
    expect(types).toEqual([
      "rollout.created",
      "rollout.wave_started",
      "device.timed_out",
      "device.retry_scheduled",
      "rollout.completed",
    ]);
  });

  it("stops retrying after maxAttempts and reports the device failed for good", async () => {
    const { ids, tokens, bundleId } = await setup(1);
    const id = await create(bundleId, "1.1.0", ids, { retry: { maxAttempts: 2, backoffSeconds: 10 } });
    await report(tokens, id, ids[0]!, "updating", "failed");
    // Not failed yet: queued for its retry (and, every device waiting, the rollout reads "pending").
    expect(await rollout(id)).toMatchObject({ status: "pending", waitingFor: "retry", progress: { queued: 1, failed: 0 } });
    await advance(10);
    await report(tokens, id, ids[0]!, "updating", "failed");
    expect(await expectExactCounters(id)).toMatchObject({ status: "failed", progress: { failed: 1, queued: 0 } });
    const types = (await events(id)).map((event) => event.type);
    expect(types.filter((type) => type.startsWith("device."))).toEqual(["device.retry_scheduled", "device.failed"]);
  });

  it("releases at most maxPerMinute devices in any minute", async () => {
    const { ids, bundleId } = await setup(8);
    const id = await create(bundleId, "1.1.0", ids, { rate: { maxPerMinute: 3 } });
    expect(await rollout(id)).toMatchObject({
      waitingFor: "rate",
      progress: { pending: 3, queued: 5 },
      nextActionAt: new Date(now + 60_000).toISOString(),
    });
    await advance(30);
    expect(await rollout(id)).toMatchObject({ progress: { pending: 3, queued: 5 } });
    await advance(30);
    expect(await rollout(id)).toMatchObject({ progress: { pending: 6, queued: 2 } });
    await advance(60);
    expect(await expectExactCounters(id)).toMatchObject({ waitingFor: "gate", progress: { pending: 8, queued: 0 } });
  });

  it("waits for startAt (scheduled), then only releases inside a maintenance window, across a DST change", async () => {
    const { ids, bundleId } = await setup(3);
    now = Date.parse("2026-03-28T12:00:00Z");
    const id = await create(bundleId, "1.1.0", ids, {
      schedule: {
        startAt: "2026-03-28T20:00:00Z",
        // 01:00–02:00 Berlin time: 00:00 UTC on 29 March (still CET), 23:00 UTC from 30 March (CEST).
        windows: [{ cron: "0 1 * * *", durationMinutes: 60, timezone: "Europe/Berlin" }],
      },
    });
    expect(await rollout(id)).toMatchObject({
      status: "scheduled",
      currentWave: null,
      waitingFor: "schedule",
      nextActionAt: "2026-03-28T20:00:00.000Z",
    });
    now = Date.parse("2026-03-28T20:00:00Z");
    await server.controller.runDue();
    expect(await rollout(id)).toMatchObject({
      status: "pending",
      currentWave: 0,
      waitingFor: "window",
      nextActionAt: "2026-03-29T00:00:00.000Z",
      progress: { queued: 3 },
    });
    now = Date.parse("2026-03-29T00:00:00Z");
    await server.controller.runDue();
    expect(await rollout(id)).toMatchObject({ progress: { pending: 3, queued: 0 }, waitingFor: "gate" });
    const types = (await events(id)).map((event) => event.type);
    expect(types.slice(0, 3)).toEqual(["rollout.created", "rollout.scheduled", "rollout.wave_started"]);
  });

  it("waits for approval with advance: manual; POST /advance starts the next wave; pause and resume", async () => {
    const { ids, tokens, bundleId } = await setup(4);
    const id = await create(bundleId, "1.1.0", ids, { waves: [{ count: 1 }, { count: 2 }, { percent: 100 }], advance: "manual" });
    const [canary] = await devicesIn(id, "pending");
    await report(tokens, id, canary!, "updating", "succeeded");
    expect(await rollout(id)).toMatchObject({ currentWave: 0, waitingFor: "approval" });
    const advanced = await api.post(`/rollouts/${id}/advance`);
    expect(advanced.status, JSON.stringify(advanced.body)).toBe(200);
    expect(advanced.body).toMatchObject({ currentWave: 1, progress: { pending: 1, queued: 2 } });
    // Advance skips a gate too: wave 2 has not passed, wave 3 starts anyway.
    const paused = await api.post(`/rollouts/${id}/pause`);
    expect(paused.body).toMatchObject({ status: "paused", pausedReason: expect.stringMatching(/^Paused by admin/) });
    expect((await api.post(`/rollouts/${id}/advance`)).status).toBe(409);
    expect((await api.post(`/rollouts/${id}/resume`)).body).toMatchObject({ status: "in_progress", currentWave: 1 });
    expect((await api.post(`/rollouts/${id}/advance`)).body).toMatchObject({
      currentWave: 2,
      progress: { pending: 3, queued: 0 },
    });
    const last = await api.post(`/rollouts/${id}/advance`);
    expect(last.status).toBe(409);
    expect(last.body.message).toMatch(/last wave/);
    await expectExactCounters(id);
  });

  it("rolls back: cancels, sends devices that started back to their previous version, leaves new ones alone", async () => {
    const { ids, tokens, bundleId } = await setup(4);
    const [a, b, c, fresh] = ids as [string, string, string, string];
    const base = await create(bundleId, "1.0.0", [a, b, c]);
    for (const device of [a, b, c]) await report(tokens, base, device, "updating", "succeeded");
    const id = await create(bundleId, "1.1.0", ids, {
      waves: [{ count: 3 }, { percent: 100 }],
      gate: { successPercent: 100, soakSeconds: 0 },
    });
    const released = await devicesIn(id, "pending");
    for (const device of released.slice(0, 2)) await report(tokens, id, device, "updating", "succeeded");

    const rolledBack = await api.post(`/rollouts/${id}/rollback`);
    expect(rolledBack.status, JSON.stringify(rolledBack.body)).toBe(201);
    const started = released.slice(0, 2);
    const withPrevious = started.filter((device) => device !== fresh);
    expect(rolledBack.body.untouchedDeviceIds).toEqual(started.filter((device) => device === fresh));
    expect(rolledBack.body.rollouts).toHaveLength(withPrevious.length ? 1 : 0);
    const back = rolledBack.body.rollouts[0];
    expect(back).toMatchObject({
      kind: "rollback",
      rollbackOf: id,
      version: "1.0.0",
      targetIds: [...withPrevious].sort(),
      policy: null,
    });
    const original = await expectExactCounters(id);
    expect(original).toMatchObject({ status: "cancelled", rolledBackBy: [back.id] });
    for (const device of withPrevious)
      expect((await api.get(`/devices/${device}/desired-state`, tokens.get(device))).body).toMatchObject({
        rolloutId: back.id,
        version: "1.0.0",
      });
    const again = await api.post(`/rollouts/${id}/rollback`);
    expect(again.status).toBe(409);
    expect((await api.post(`/rollouts/${back.id}/rollback`)).status).toBe(409);
    expect((await events(id)).map((event) => event.type)).toEqual(
      expect.arrayContaining(["rollout.cancelled", "rollout.rolled_back"]),
    );
  });

  it("aborts or rolls back on the threshold when the policy says so", async () => {
    const { ids, tokens, bundleId } = await setup(6);
    const base = await create(bundleId, "1.0.0", ids);
    for (const device of ids) await report(tokens, base, device, "updating", "succeeded");
    const abort = await create(bundleId, "1.1.0", ids.slice(0, 3), {
      failureThreshold: { percent: 10, minCompleted: 1, action: "abort" },
    });
    await report(tokens, abort, ids[0]!, "updating", "failed");
    expect(await expectExactCounters(abort)).toMatchObject({ status: "cancelled", progress: { failed: 1, cancelled: 2 } });

    const rollback = await create(bundleId, "1.1.0", ids.slice(3), {
      failureThreshold: { percent: 10, minCompleted: 1, action: "rollback" },
    });
    await report(tokens, rollback, ids[3]!, "updating", "failed");
    const body = await rollout(rollback);
    expect(body).toMatchObject({ status: "cancelled", rolledBackBy: [expect.any(String)] });
    expect(await rollout(body.rolledBackBy[0])).toMatchObject({ kind: "rollback", version: "1.0.0", progress: { total: 1 } });
    expect((await events(rollback)).map((event) => event.type)).toEqual(
      expect.arrayContaining(["rollout.threshold_breached", "rollout.cancelled", "rollout.rolled_back"]),
    );
  });

  it("lets a newer rollout take queued devices (supersede), and cancel takes queued ones too", async () => {
    const { ids, bundleId } = await setup(4);
    const staged = await create(bundleId, "1.0.0", ids, { waves: [{ count: 1 }, { percent: 100 }] });
    const newer = await create(bundleId, "1.1.0", ids.slice(0, 2));
    const body = await expectExactCounters(staged);
    expect(body.progress.cancelled).toBe(2);
    expect((await api.post(`/rollouts/${staged}/cancel`)).status).toBe(204);
    expect(await expectExactCounters(staged)).toMatchObject({
      status: "cancelled",
      progress: { queued: 0, pending: 0, cancelled: 4 },
    });
    expect(await rollout(newer)).toMatchObject({ status: "pending", progress: { pending: 2 } });
  });

  it("charts succeeded and failed devices over time, cumulatively", async () => {
    const { ids, tokens, bundleId } = await setup(3);
    const id = await create(bundleId, "1.1.0", ids);
    now += 60_000;
    await report(tokens, id, ids[0]!, "updating", "succeeded");
    now += 60_000;
    await report(tokens, id, ids[1]!, "updating", "failed");
    await report(tokens, id, ids[2]!, "updating", "succeeded");
    const history = (await api.get(`/rollouts/${id}/history`)).body;
    expect(history.bucketSeconds).toBe(2); // 120 s in at most 60 steps
    const at = (seconds: number) =>
      history.points.find((point: { at: string }) => Date.parse(point.at) === now - 120_000 + seconds * 1000);
    expect(at(0)).toMatchObject({ succeeded: 0, failed: 0 });
    expect(at(62)).toMatchObject({ succeeded: 1, failed: 0 });
    expect(history.points.at(-1)).toMatchObject({ succeeded: 2, failed: 1 });
    expect(history.points.length).toBeLessThanOrEqual(62);
    expect((await api.get(`/rollouts/00000000-0000-4000-8000-000000000000/history`)).status).toBe(404);
  });

  it.each([
    [
      { waves: [{ percent: 50 }, { percent: 40 }, { percent: 100 }] },
      "policy.waves.1.percent",
      /more than the previous wave's 50 %/,
    ],
    [{ waves: [{ percent: 10 }, { percent: 90 }] }, "policy.waves.1.percent", /last wave must reach 100 %/],
    [{ waves: [{ percent: 1 }, { percent: 100 }] }, "policy.waves.0", /wave 1 would be empty with these 5 target device/],
    [{ waves: [{ count: 2, percent: 10 }, { percent: 100 }] }, "policy.waves.0.count", /percent or count, not both/],
    [
      { schedule: { windows: [{ cron: "0 1 * * *", durationMinutes: 60, timezone: "Mars/Olympus" }] } },
      "policy.schedule.windows.0.timezone",
      /IANA time zone/,
    ],
    [
      { schedule: { windows: [{ cron: "0 1 * * *", durationMinutes: 60, timezone: "+01:00" }] } },
      "policy.schedule.windows.0.timezone",
      /fixed offsets/,
    ],
    [
      { schedule: { windows: [{ cron: "0 0 30 2 *", durationMinutes: 60, timezone: "UTC" }] } },
      "policy.schedule.windows.0.cron",
      /never fires/,
    ],
    [{ gate: { successPercent: 120 } }, "policy.gate.successPercent", /100/],
    [{ deviceTimeoutSeconds: 5 }, "policy.deviceTimeoutSeconds", /10/],
    [{ retry: { maxAttempts: 11 } }, "policy.retry.maxAttempts", /10/],
    [{ rate: { maxPerMinute: 0 } }, "policy.rate.maxPerMinute", /1/],
    [{ waves: [] }, "policy.waves", /1/],
    [{ surprise: true }, "policy", /surprise/],
  ])("refuses %j with a 400 naming %s, and writes nothing", async (policy, field, message) => {
    const { ids, bundleId } = await setup(5);
    const before = await tableSnapshot(db());
    const answer = await api.post("/rollouts", { bundleId, version: "1.1.0", targetType: "device", deviceIds: ids, policy });
    expect(answer.status, JSON.stringify(answer.body)).toBe(400);
    expect(answer.body.message).toContain(field);
    expect(answer.body.message).toMatch(message);
    expect(await tableSnapshot(db())).toEqual(before);
  });
});
