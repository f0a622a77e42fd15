import { createCaller } from "@signalbeam/api";
import { sql } from "@signalbeam/db";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningServer, startServer } from "../src/server";
import { testDatabases } from "./support/databases";
import { countsByGroupBy, createBundleWithVersions, createFleet, tableSnapshot } from "./support/fleet";
import { type RestClient, restClient } from "./support/http";

/**
 * The rules at the edges (docs/DESIGN.md, "Rules at the edges"), each at the REST edge a user meets:
 * retry never takes a device back, cancel strands nothing, a rollout always has one row per target,
 * one bad report fails only itself.
 */
describe.each(testDatabases)("rules at the edges on $name", (database) => {
  let server: RunningServer;
  let api: RestClient;
  let drop: () => Promise<void>;

  beforeAll(async () => {
    const created = await database.create();
    drop = created.drop;
    server = await startServer({ databaseUrl: created.url, dataDir: created.dataDir, demo: false });
    api = restClient(server.url, server.bootstrap!.generatedToken);
  }, 60_000);
  afterAll(async () => {
    await server?.close();
    await drop?.();
  });

  const db = () => server.database.db;
  const desiredRollouts = async (rolloutId: string) =>
    (
      await sql<{ device_id: string }>`
        SELECT device_id FROM device_desired_states WHERE rollout_id = ${rolloutId} ORDER BY device_id
      `.execute(db())
    ).rows.map((row) => row.device_id);

  async function rolloutOf(bundleId: string, version: string, deviceIds: string[]) {
    const created = await api.post("/rollouts", { bundleId, version, targetType: "device", deviceIds });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    return created.body.rolloutId as string;
  }

  function reporter(tokens: Map<string, string>) {
    return async (rolloutId: string, deviceId: string, ...statuses: string[]) => {
      for (const status of statuses) {
        const body = { deviceId, status, ...(status === "failed" ? { errorMessage: "container app exited with code 1" } : {}) };
        const answer = await api.put(`/rollouts/${rolloutId}/status`, body, tokens.get(deviceId));
        expect(answer.status, `${deviceId} ${status}: ${JSON.stringify(answer.body)}`).toBe(200);
      }
    };
  }

  it("retries only the failed devices no newer rollout has taken, and never downgrades one", async () => {
    const { ids, tokens } = await createFleet(api, `retry-${database.name}`, 3);
    const [d, e, f] = ids as [string, string, string];
    const report = reporter(tokens);
    const bundleId = await createBundleWithVersions(api, `retry-${database.name}`, ["1.1.0", "1.2.0"]);

    // All three fail in R1 (1.1.0).
    const r1 = await rolloutOf(bundleId, "1.1.0", ids);
    for (const device of ids) await report(r1, device, "updating", "failed");
    // R2 (1.2.0) takes D, which succeeds there; R4 takes E, which is still pending there.
    const r2 = await rolloutOf(bundleId, "1.2.0", [d]);
    await report(r2, d, "updating", "succeeded");
    const r4 = await rolloutOf(bundleId, "1.2.0", [e]);

    const retried = await api.post(`/rollouts/${r1}/retry`);
    expect(retried.status, JSON.stringify(retried.body)).toBe(200);
    expect(retried.body.progress).toMatchObject({ total: 3, pending: 1, failed: 2 });
    expect(retried.body.progress).toEqual(await countsByGroupBy(db(), r1));

    // D stays on 1.2.0 from R2; E stays pending in R4 (not "superseded by rollout R1"); F is retried.
    expect((await api.get(`/devices/${d}/desired-state`, tokens.get(d))).body).toMatchObject({ rolloutId: r2, version: "1.2.0" });
    expect((await api.get(`/devices/${e}/desired-state`, tokens.get(e))).body).toMatchObject({ rolloutId: r4, version: "1.2.0" });
    expect((await api.get(`/devices/${f}/desired-state`, tokens.get(f))).body).toMatchObject({
      rolloutId: r1,
      version: "1.1.0",
      attempt: 2,
    });
    expect((await api.get(`/rollouts/${r2}`)).body).toMatchObject({ status: "completed", progress: { succeeded: 1 } });
    expect((await api.get(`/rollouts/${r4}/devices`)).body.devices).toEqual([
      expect.objectContaining({ deviceId: e, status: "pending", errorMessage: null }),
    ]);
    const audit = await api.get(`/audit?targetType=rollout&targetId=${r1}&action=rollout.retried`);
    expect(audit.body.data[0].details).toEqual({ retriedDevices: 1, keptByNewerRollouts: 2 });

    // F fails again; now every failed device of R1 belongs to a newer rollout but F: retry takes F only.
    await report(r1, f, "updating", "failed");
    expect((await api.post(`/rollouts/${r1}/retry`)).body.progress).toMatchObject({ pending: 1, failed: 2 });
    // Once a newer rollout takes F too, nothing qualifies: 409 saying why, and nothing changes.
    await rolloutOf(bundleId, "1.2.0", [f]);
    const before = await tableSnapshot(db());
    const refused = await api.post(`/rollouts/${r1}/retry`);
    expect(refused.status).toBe(409);
    expect(refused.body.message).toMatch(/newer rollouts have taken all of them/);
    expect(await tableSnapshot(db())).toEqual(before);
  });

  it("keeps counters and attempts exact when retries race each other and the agents' reports", async () => {
    const { ids, tokens } = await createFleet(api, `retries-${database.name}`, 20);
    const bundleId = await createBundleWithVersions(api, `retries-${database.name}`, ["1.0.0"]);
    const rolloutId = await rolloutOf(bundleId, "1.0.0", ids);
    for (const device of ids) await reporter(tokens)(rolloutId, device, "updating", "failed");

    // Three managers press Retry at once while every agent, seeing a new attempt, tries and fails again.
    const retries: number[] = [];
    const agent = async (device: string) => {
      for (let round = 0; round < 3; round++) {
        const desired = (await api.get(`/devices/${device}/desired-state`, tokens.get(device))).body;
        if (desired.rolloutId !== rolloutId) return;
        for (const status of ["updating", "failed"]) {
          const answer = await api.put(
            `/rollouts/${rolloutId}/status`,
            { deviceId: device, status, ...(status === "failed" ? { errorMessage: "exit 1" } : {}) },
            tokens.get(device),
          );
          expect([200, 409]).toContain(answer.status);
          if (answer.status === 409) break;
        }
      }
    };
    const retry = async () => retries.push((await api.post(`/rollouts/${rolloutId}/retry`)).status);
    await Promise.all([retry(), retry(), retry(), ...ids.map(agent), retry()]);

    expect(retries.filter((status) => status === 200).length).toBeGreaterThan(0);
    expect(retries.every((status) => status === 200 || status === 409)).toBe(true);
    const rollout = (await api.get(`/rollouts/${rolloutId}`)).body;
    expect(rollout.progress).toEqual(await countsByGroupBy(db(), rolloutId));
    // Each successful retry raised the attempt of the devices it took, never skipping one.
    const audit = await api.get(`/audit?targetType=rollout&targetId=${rolloutId}&action=rollout.retried&pageSize=50`);
    const retried = audit.body.data.reduce(
      (sum: number, event: { details: { retriedDevices: number } }) => sum + event.details.retriedDevices,
      0,
    );
    const attempts = await sql<{ extra: number }>`
      SELECT coalesce(sum(attempt - 1), 0)::int AS extra FROM rollout_statuses WHERE rollout_id = ${rolloutId}
    `.execute(db());
    expect(attempts.rows[0]!.extra).toBe(retried);
  });

  it("leaves no device of a cancelled rollout waiting for it but those caught mid-update", async () => {
    const { ids, tokens } = await createFleet(api, `strand-${database.name}`, 3);
    const [e, f, g] = ids as [string, string, string];
    const report = reporter(tokens);
    const bundleId = await createBundleWithVersions(api, `strand-${database.name}`, ["1.0.0", "1.1.0"]);
    const base = await rolloutOf(bundleId, "1.0.0", ids);
    for (const device of ids) await report(base, device, "updating", "succeeded");

    // R6 moves all three to 1.1.0: E fails, F has not started, G is mid-update when R6 is cancelled.
    const r6 = await rolloutOf(bundleId, "1.1.0", ids);
    await report(r6, e, "updating", "failed");
    await report(r6, g, "updating");
    expect((await api.post(`/rollouts/${r6}/cancel`)).status).toBe(204);

    expect(await desiredRollouts(r6)).toEqual([g]);
    for (const device of [e, f])
      expect((await api.get(`/devices/${device}/desired-state`, tokens.get(device))).body).toMatchObject({
        rolloutId: null,
        bundleId,
        version: "1.0.0",
      });
    expect((await api.get(`/devices/${e}`)).body).toMatchObject({ desiredVersion: "1.0.0", currentVersion: "1.0.0" });
    const rollout = (await api.get(`/rollouts/${r6}`)).body;
    expect(rollout).toMatchObject({ status: "cancelled", progress: { failed: 1, cancelled: 2 } });
    expect(rollout.progress).toEqual(await countsByGroupBy(db(), r6));
  });

  it("falls back past a rollout a device failed in when the rollout that took it over is cancelled", async () => {
    const { ids, tokens } = await createFleet(api, `fallback-${database.name}`, 1);
    const [d] = ids as [string];
    const report = reporter(tokens);
    const bundleId = await createBundleWithVersions(api, `fallback-${database.name}`, ["1.0.0", "1.1.0", "1.2.0"]);
    const base = await rolloutOf(bundleId, "1.0.0", [d]);
    await report(base, d, "updating", "succeeded");
    const r1 = await rolloutOf(bundleId, "1.1.0", [d]);
    await report(r1, d, "updating", "failed"); // D still runs 1.0.0
    const r2 = await rolloutOf(bundleId, "1.2.0", [d]);
    await api.post(`/rollouts/${r2}/cancel`);
    // Not 1.1.0, which D never ran: back to 1.0.0, with nothing to report to.
    expect((await api.get(`/devices/${d}/desired-state`, tokens.get(d))).body).toMatchObject({
      rolloutId: null,
      version: "1.0.0",
    });
  });

  it("gives a rollout one status row per target even when devices lack their desired-state rows", async () => {
    const prefix = `bare-${database.name}`;
    // As an import with SQL or a restore from a backup leaves them: devices, nothing else.
    await sql`
      INSERT INTO devices (id, name) SELECT ${prefix} || '-' || i, 'Imported ' || i FROM generate_series(1, 40) AS i
    `.execute(db());
    const imported = Array.from({ length: 40 }, (_, index) => `${prefix}-${index + 1}`);
    const { ids: registered } = await createFleet(api, `${prefix}-api`, 2);
    await sql`DELETE FROM device_desired_states WHERE device_id = ${registered[0]!}`.execute(db());
    const bundleId = await createBundleWithVersions(api, prefix, ["1.0.0", "2.0.0"]);

    const targets = [...imported.slice(0, 20), ...registered];
    const listed = await api.post("/rollouts", { bundleId, version: "1.0.0", targetType: "device", deviceIds: targets });
    expect(listed.status, JSON.stringify(listed.body)).toBe(201);
    expect(listed.body.progress).toMatchObject({ total: 22, pending: 22 });
    expect(await countsByGroupBy(db(), listed.body.rolloutId)).toMatchObject({ total: 22, pending: 22 });
    expect(await desiredRollouts(listed.body.rolloutId)).toEqual([...targets].sort());

    const group = await api.post("/groups", { name: prefix, deviceIds: imported });
    const grouped = await api.post("/rollouts", { bundleId, version: "2.0.0", targetType: "group", groupIds: [group.body.id] });
    expect(grouped.status, JSON.stringify(grouped.body)).toBe(201);
    expect(grouped.body.progress).toMatchObject({ total: 40, pending: 40 });
    expect(await countsByGroupBy(db(), grouped.body.rolloutId)).toMatchObject({ total: 40, pending: 40 });
    // The first rollout's devices were superseded by the second, and counted so.
    expect((await api.get(`/rollouts/${listed.body.rolloutId}`)).body.progress).toEqual(
      await countsByGroupBy(db(), listed.body.rolloutId),
    );
  });

  it("refuses text PostgreSQL cannot store with a 400 naming the field, writing nothing", async () => {
    const { ids, tokens } = await createFleet(api, `nul-${database.name}`, 1);
    const bundleId = await createBundleWithVersions(api, `nul-${database.name}`, ["1.0.0"]);
    const rolloutId = await rolloutOf(bundleId, "1.0.0", ids);
    await reporter(tokens)(rolloutId, ids[0]!, "updating");
    const cases: [string, string, unknown, string | undefined][] = [
      [
        "PUT",
        `/rollouts/${rolloutId}/status`,
        { deviceId: ids[0], status: "failed", errorMessage: "bad\u0000byte" },
        tokens.get(ids[0]!),
      ],
      ["POST", "/devices", { name: "nul\u0000name" }, undefined],
      ["POST", "/devices", { name: "labels", labels: { site: "a\u0000b" } }, undefined],
      ["POST", "/bundles", { name: "nul-bundle", description: "a\u0000b" }, undefined],
      [
        "POST",
        `/bundles/${bundleId}/versions`,
        { version: "9.0.0", containers: [{ name: "a", image: "b", env: { X: "\u0000" } }] },
        undefined,
      ],
    ];
    const fields = ["errorMessage", "name", "labels.site", "description", "containers.0.env.X"];
    for (const [index, [method, path, body, token]] of cases.entries()) {
      const before = await tableSnapshot(db());
      const answer = await api.request(method, path, { body, token });
      expect(answer.status, `${method} ${path}: ${JSON.stringify(answer.body)}`).toBe(400);
      expect(answer.body.message).toContain(`${fields[index]}: must not contain NUL`);
      expect(await tableSnapshot(db())).toEqual(before);
    }
  });

  it("fails only the bad report of a group-committed batch", async () => {
    const { ids, tokens } = await createFleet(api, `batch-${database.name}`, 12);
    const bundleId = await createBundleWithVersions(api, `batch-${database.name}`, ["1.0.0"]);
    const rolloutId = await rolloutOf(bundleId, "1.0.0", ids);
    for (const device of ids) await reporter(tokens)(rolloutId, device, "updating");
    const batcher = server.deps.reportBatcher;
    const failed = (deviceId: string, errorMessage: string) =>
      batcher.submit({ rolloutId, deviceId, status: "failed", errorMessage });
    // The first report starts a batch of one; the rest arrive while it is written and share the next.
    // The API refuses a NUL at validation; handed straight to the batcher, it is what the database refuses.
    const outcomes = await Promise.allSettled(
      ids.map((deviceId, index) => failed(deviceId, index === 5 ? "bad\u0000byte" : "exit 1")),
    );
    expect(outcomes.map((outcome) => outcome.status)).toEqual(ids.map((_, index) => (index === 5 ? "rejected" : "fulfilled")));
    const rollout = (await api.get(`/rollouts/${rolloutId}`)).body;
    expect(rollout.progress).toMatchObject({ total: 12, failed: 11, inProgress: 1 });
    expect(rollout.progress).toEqual(await countsByGroupBy(db(), rolloutId));
  });

  it("answers the full target list and the summary form from the same rollout", async () => {
    const { ids } = await createFleet(api, `targets-${database.name}`, 5);
    const bundleId = await createBundleWithVersions(api, `targets-${database.name}`, ["1.0.0"]);
    const requested = [ids[3]!, ids[1]!, ids[3]!, ids[0]!]; // as requested: order and duplicates kept out
    const rolloutId = await rolloutOf(bundleId, "1.0.0", requested);

    const full = await api.get(`/rollouts/${rolloutId}`);
    expect(full.body).toMatchObject({ id: rolloutId, targetIds: [ids[3], ids[1], ids[0]], targetCount: 3 });
    const summary = await api.get(`/rollouts/${rolloutId}?targets=summary`);
    expect(summary.status).toBe(200);
    expect(summary.body.targetIds).toBeUndefined();
    expect(summary.body).toEqual({ ...full.body, targetIds: undefined });
    const page = await api.get(`/rollouts?bundleId=${bundleId}&targets=summary`);
    expect(page.body.data).toEqual([summary.body]);
    expect((await api.get(`/rollouts?bundleId=${bundleId}`)).body.data).toEqual([full.body]);
    expect((await api.get(`/rollouts/${rolloutId}?targets=none`)).status).toBe(400);

    // The REST answer is byte for byte what the procedure answers (the fast path splices the list in).
    const viaProcedure = await createCaller({ ...server.deps, principal: { kind: "user", ...adminPrincipal() } }).rollouts.byId({
      rolloutId,
    });
    const text = await (
      await fetch(`${server.url}/api/rollouts/${rolloutId}`, {
        headers: { authorization: `Bearer ${server.bootstrap!.generatedToken}` },
      })
    ).text();
    expect(text).toBe(JSON.stringify(viaProcedure));
  });
});

const adminPrincipal = () => ({
  userId: "00000000-0000-4000-8000-000000000001",
  username: "edge-rules",
  role: "admin" as const,
  via: {
    type: "apiKey" as const,
    keyId: "00000000-0000-4000-8000-000000000002",
    keyName: "edge rules",
    prefix: "sbk_000000000000",
  },
});
