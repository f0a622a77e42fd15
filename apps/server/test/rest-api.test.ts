import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ServedTarget, restTargets } from "./support/targets";
import { countsByGroupBy, createBundleWithVersions, createFleet, tableSnapshot } from "./support/fleet";
import { type RestClient, restClient } from "./support/http";

const SEED_BUNDLE_ID = "f9c15f6f-a40f-40a8-9c6f-a2bf2786f590";

describe.each(restTargets)("REST API on $name", (database) => {
  let server: ServedTarget;
  let api: RestClient;

  beforeAll(async () => {
    server = await database.serve({ demo: true });
    api = restClient(server.url, server.token);
  }, 120_000);

  afterAll(async () => {
    await server?.close();
  });

  it("answers /healthz once migrated", async () => {
    const response = await fetch(`${server.url}/healthz`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: "ok" });
  });

  it("runs the seed document's curl walkthrough as written", async () => {
    // 1. Create a rollout (the demo seed has the walkthrough's bundle id and devices).
    const created = await api.post("/rollouts", {
      bundleId: SEED_BUNDLE_ID,
      version: "1.2.0",
      targetType: "device",
      deviceIds: ["device-001", "device-002", "device-003"],
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      bundleId: SEED_BUNDLE_ID,
      version: "1.2.0",
      targetType: "device",
      targetIds: ["device-001", "device-002", "device-003"],
      status: "pending",
      progress: { total: 3, pending: 3, inProgress: 0, succeeded: 0, failed: 0, cancelled: 0 },
    });
    // The contract's fields, plus (compatibly) what progressive delivery added: all null or empty without a policy.
    expect(Object.keys(created.body).sort()).toEqual(
      [
        ...["rolloutId", "bundleId", "version", "targetType", "targetIds", "status", "progress", "createdAt"],
        ...["policy", "currentWave", "waves", "waitingFor", "nextActionAt"],
      ].sort(),
    );
    expect(created.body).toMatchObject({ policy: null, currentWave: null, waves: [], waitingFor: null, nextActionAt: null });
    const rolloutId = created.body.rolloutId;

    // 2. Monitor progress.
    const rollout = await api.get(`/rollouts/${rolloutId}`);
    expect(rollout.status).toBe(200);
    expect(rollout.body).toMatchObject({ id: rolloutId, status: "pending", completedAt: null });
    expect(rollout.body.updatedAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);

    // 3. Device-level status.
    const devices = await api.get(`/rollouts/${rolloutId}/devices`);
    expect(devices.status).toBe(200);
    expect(devices.body.rolloutId).toBe(rolloutId);
    expect(devices.body.devices.map((device: { deviceName: string }) => device.deviceName)).toEqual([
      "Warehouse Sensor 1",
      "Warehouse Sensor 2",
      "Warehouse Sensor 3",
    ]);
    expect(devices.body.devices[0]).toMatchObject({ status: "pending", startedAt: null, completedAt: null, errorMessage: null });

    // 4. Cancel (curl sends no body and no Content-Type).
    const cancel = await fetch(`${server.url}/api/rollouts/${rolloutId}/cancel`, {
      method: "POST",
      headers: { authorization: `Bearer ${server.token}` },
    });
    expect(cancel.status).toBe(204);
    expect(await cancel.text()).toBe("");
    expect((await api.get(`/rollouts/${rolloutId}`)).body).toMatchObject({
      status: "cancelled",
      progress: { cancelled: 3, pending: 0 },
    });

    // 5. All rollouts for the bundle, newest first.
    const list = await api.get(`/rollouts?bundleId=${SEED_BUNDLE_ID}&page=1&pageSize=10`);
    expect(list.status).toBe(200);
    expect(list.body.data[0].id).toBe(rolloutId);
    expect(list.body).toMatchObject({ page: 1, pageSize: 10, totalCount: 3, totalPages: 1 });
    expect(list.body.data.every((item: { bundleId: string }) => item.bundleId === SEED_BUNDLE_ID)).toBe(true);
  });

  it("takes a rollout through agent reports, idempotent repeats, illegal moves, cancel and retry", async () => {
    const { ids, tokens } = await createFleet(api, `life-${database.name}`, 3);
    const [d1, d2, d3] = ids as [string, string, string];
    const bundleId = await createBundleWithVersions(api, `lifecycle-${database.name}`, ["1.0.0", "2.0.0"]);

    const created = await api.post("/rollouts", { bundleId, version: "1.0.0", targetType: "device", deviceIds: ids });
    expect(created.status).toBe(201);
    const rolloutId = created.body.rolloutId;

    const desired = await api.get(`/devices/${d1}/desired-state`, tokens.get(d1));
    expect(desired.status).toBe(200);
    expect(desired.body).toEqual({
      deviceId: d1,
      rolloutId,
      bundleId,
      version: "1.0.0",
      containers: [{ name: "app", image: "local/app:1.0.0", env: { MODE: "test" } }],
      attempt: 1,
    });

    const report = (device: string, status: string, errorMessage?: string) =>
      api.put(`/rollouts/${rolloutId}/status`, { deviceId: device, status, errorMessage }, tokens.get(device));

    const updating = await report(d1, "updating");
    expect(updating.status).toBe(200);
    expect(updating.body).toMatchObject({ rolloutId, deviceId: d1, status: "updating", completedAt: null, errorMessage: null });
    expect(updating.body.startedAt).not.toBeNull();
    expect((await api.get(`/rollouts/${rolloutId}`)).body).toMatchObject({
      status: "in_progress",
      progress: { pending: 2, inProgress: 1 },
    });

    expect((await report(d1, "succeeded")).status).toBe(200);
    // Repeating a report after a network fault is a harmless no-op.
    const repeat = await report(d1, "succeeded");
    expect(repeat.status).toBe(200);
    expect(repeat.body.status).toBe("succeeded");
    // Going back is not.
    const back = await report(d1, "updating");
    expect(back.status).toBe(409);
    expect(back.body).toMatchObject({ code: "CONFLICT", currentStatus: "succeeded" });
    // Skipping `updating` is illegal too.
    const skip = await report(d3, "succeeded");
    expect(skip.status).toBe(409);
    expect(skip.body.currentStatus).toBe("pending");

    expect((await report(d2, "updating")).status).toBe(200);
    const failed = await report(d2, "failed", "image pull failed: local/app:1.0.0 not found");
    expect(failed.body).toMatchObject({ status: "failed", errorMessage: "image pull failed: local/app:1.0.0 not found" });

    const progress = (await api.get(`/rollouts/${rolloutId}`)).body;
    expect(progress).toMatchObject({ status: "in_progress", progress: { total: 3, pending: 1, succeeded: 1, failed: 1 } });
    expect((await api.get(`/devices/${d1}`)).body).toMatchObject({ currentBundleId: bundleId, currentVersion: "1.0.0" });

    // Failed tab: only the failure, with its message; totalCount comes from the counters.
    const failedTab = await api.get(`/rollouts/${rolloutId}/devices?status=failed`);
    expect(failedTab.body.totalCount).toBe(1);
    expect(failedTab.body.devices).toEqual([
      expect.objectContaining({ deviceId: d2, status: "failed", errorMessage: "image pull failed: local/app:1.0.0 not found" }),
    ]);

    // Cancel: d3 had not started, so it gets its previous desired state (nothing) back.
    expect((await api.post(`/rollouts/${rolloutId}/cancel`)).status).toBe(204);
    const afterCancel = (await api.get(`/rollouts/${rolloutId}`)).body;
    expect(afterCancel).toMatchObject({ status: "cancelled", progress: { pending: 0, cancelled: 1, failed: 1, succeeded: 1 } });
    expect(afterCancel.completedAt).not.toBeNull();
    expect((await api.get(`/devices/${d3}/desired-state`, tokens.get(d3))).body).toEqual({
      deviceId: d3,
      rolloutId: null,
      bundleId: null,
      version: null,
      containers: [],
      attempt: null,
    });
    // A late report never overwrites the cancel.
    const late = await report(d3, "updating");
    expect(late.status).toBe(409);
    expect(late.body.currentStatus).toBe("cancelled");
    // Cancelling again is a no-op; retrying a cancelled rollout is refused.
    expect((await api.post(`/rollouts/${rolloutId}/cancel`)).status).toBe(204);
    expect((await api.post(`/rollouts/${rolloutId}/retry`)).status).toBe(409);

    // Retry on a second rollout: failed → pending (attempt 2), back in progress, completedAt cleared.
    const second = (await api.post("/rollouts", { bundleId, version: "2.0.0", targetType: "device", deviceIds: [d1, d2] })).body
      .rolloutId;
    const reportTo = (device: string, status: string, errorMessage?: string) =>
      api.put(`/rollouts/${second}/status`, { deviceId: device, status, errorMessage }, tokens.get(device));
    expect((await api.post(`/rollouts/${second}/retry`)).status).toBe(409); // nothing failed yet
    await reportTo(d1, "updating");
    await reportTo(d1, "failed", "container app exited with code 1");
    await reportTo(d2, "updating");
    await reportTo(d2, "succeeded");
    const failedRollout = (await api.get(`/rollouts/${second}`)).body;
    expect(failedRollout).toMatchObject({ status: "failed", progress: { failed: 1, succeeded: 1 } });
    expect(failedRollout.completedAt).not.toBeNull();
    // Cancelling a finished rollout has nothing to cancel.
    expect((await api.post(`/rollouts/${second}/cancel`)).status).toBe(409);

    const retried = await api.post(`/rollouts/${second}/retry`);
    expect(retried.status).toBe(200);
    expect(retried.body).toMatchObject({
      id: second,
      status: "in_progress",
      completedAt: null,
      progress: { pending: 1, failed: 0 },
    });
    const row = (await api.get(`/rollouts/${second}/devices?status=pending`)).body.devices[0];
    expect(row).toMatchObject({ deviceId: d1, attempt: 2, errorMessage: null, startedAt: null });
    expect((await api.get(`/devices/${d1}/desired-state`, tokens.get(d1))).body).toMatchObject({
      rolloutId: second,
      version: "2.0.0",
    });
    await reportTo(d1, "updating");
    await reportTo(d1, "succeeded");
    expect((await api.get(`/rollouts/${second}`)).body).toMatchObject({ status: "completed", progress: { succeeded: 2 } });
  });

  it("supersedes older rollouts and falls back to what each device ran before", async () => {
    const { ids, tokens } = await createFleet(api, `sup-${database.name}`, 4);
    const [x1, x2, x3, x4] = ids as [string, string, string, string];
    const bundleId = await createBundleWithVersions(api, `supersede-${database.name}`, ["1.0.0", "1.1.0", "1.2.0"]);

    // x1 and x4 run 1.0.0 from a finished rollout.
    const base = (await api.post("/rollouts", { bundleId, version: "1.0.0", targetType: "device", deviceIds: [x1, x4] })).body
      .rolloutId;
    for (const device of [x1, x4]) {
      await api.put(`/rollouts/${base}/status`, { deviceId: device, status: "updating" }, tokens.get(device));
      await api.put(`/rollouts/${base}/status`, { deviceId: device, status: "succeeded" }, tokens.get(device));
    }

    // Rollout A: x1 starts updating to 1.1.0; x2 and x4 have not started.
    const a = (await api.post("/rollouts", { bundleId, version: "1.1.0", targetType: "device", deviceIds: [x1, x2, x4] })).body
      .rolloutId;
    await api.put(`/rollouts/${a}/status`, { deviceId: x1, status: "updating" }, tokens.get(x1));

    // Rollout B takes all four over.
    const b = (await api.post("/rollouts", { bundleId, version: "1.2.0", targetType: "device", deviceIds: [x1, x2, x3, x4] }))
      .body.rolloutId;
    const aDevices = (await api.get(`/rollouts/${a}/devices`)).body.devices;
    expect(aDevices).toEqual([
      expect.objectContaining({ deviceId: x1, status: "cancelled", errorMessage: `superseded by rollout ${b}` }),
      expect.objectContaining({ deviceId: x2, status: "cancelled", errorMessage: `superseded by rollout ${b}` }),
      expect.objectContaining({ deviceId: x4, status: "cancelled", errorMessage: `superseded by rollout ${b}` }),
    ]);
    const aRollout = (await api.get(`/rollouts/${a}`)).body;
    expect(aRollout).toMatchObject({ status: "cancelled", progress: { total: 3, cancelled: 3, pending: 0, inProgress: 0 } });
    expect(await countsByGroupBy(server.db, a)).toEqual(aRollout.progress);
    for (const device of ids)
      expect((await api.get(`/devices/${device}/desired-state`, tokens.get(device))).body).toMatchObject({
        rolloutId: b,
        version: "1.2.0",
      });
    // The old rollout no longer accepts x1's reports.
    expect((await api.put(`/rollouts/${a}/status`, { deviceId: x1, status: "succeeded" }, tokens.get(x1))).status).toBe(409);

    // Cancel B before anyone starts: x1 was mid-update to 1.1.0, so it stays on 1.1.0;
    // x2 and x4 never started A, so they fall back to what they had before A (nothing; 1.0.0);
    // x3 had nothing.
    expect((await api.post(`/rollouts/${b}/cancel`)).status).toBe(204);
    expect((await api.get(`/devices/${x1}/desired-state`, tokens.get(x1))).body).toMatchObject({
      rolloutId: null,
      bundleId,
      version: "1.1.0",
    });
    expect((await api.get(`/devices/${x4}/desired-state`, tokens.get(x4))).body).toMatchObject({
      rolloutId: null,
      bundleId,
      version: "1.0.0",
    });
    for (const device of [x2, x3])
      expect((await api.get(`/devices/${device}/desired-state`, tokens.get(device))).body).toMatchObject({
        rolloutId: null,
        bundleId: null,
        version: null,
        containers: [],
      });
  });

  it("expands groups at creation time and dedupes devices", async () => {
    const { ids } = await createFleet(api, `grp-${database.name}`, 4);
    const bundleId = await createBundleWithVersions(api, `groups-${database.name}`, ["3.0.0"]);
    const g1 = await api.post("/groups", { name: `g1-${database.name}`, deviceIds: [ids[0], ids[1], ids[2]] });
    expect(g1.status).toBe(201);
    expect(g1.body.deviceIds).toEqual([ids[0], ids[1], ids[2]]);
    const g2 = await api.post("/groups", { name: `g2-${database.name}`, deviceIds: [ids[2], ids[3]] });

    const created = await api.post("/rollouts", {
      bundleId,
      version: "3.0.0",
      targetType: "group",
      groupIds: [g1.body.id, g2.body.id],
    });
    expect(created.status).toBe(201);
    expect(created.body.targetIds).toEqual([g1.body.id, g2.body.id]);
    expect(created.body.progress.total).toBe(4);

    // Membership changes afterwards do not change the rollout.
    const replaced = await api.put(`/groups/${g1.body.id}/devices`, { deviceIds: [ids[3]] });
    expect(replaced.status).toBe(200);
    expect(replaced.body).toEqual({ id: g1.body.id, name: `g1-${database.name}`, deviceIds: [ids[3]] });
    expect((await api.get(`/rollouts/${created.body.rolloutId}`)).body.progress.total).toBe(4);

    const groups = await api.get("/groups?pageSize=100");
    expect(groups.body.data).toContainEqual(expect.objectContaining({ id: g1.body.id, deviceCount: 1 }));
    const members = await api.get(`/devices?groupId=${g2.body.id}`);
    expect(members.body.data.map((device: { id: string }) => device.id)).toEqual([ids[2], ids[3]]);

    const empty = await api.post("/groups", { name: `empty-${database.name}` });
    const emptyRollout = await api.post("/rollouts", {
      bundleId,
      version: "3.0.0",
      targetType: "group",
      groupIds: [empty.body.id],
    });
    expect(emptyRollout.status).toBe(422);
    expect(emptyRollout.body.message).toContain("groupIds");
  });

  it("keeps counters exact when a cancel races dozens of agent reports", async () => {
    const { ids, tokens } = await createFleet(api, `race-${database.name}`, 40);
    const bundleId = await createBundleWithVersions(api, `race-${database.name}`, ["1.0.0"]);

    /** One round: 40 agents report while a manager cancels; the statuses every report got. */
    const round = async (cancelAfterMs: number) => {
      const rolloutId = (await api.post("/rollouts", { bundleId, version: "1.0.0", targetType: "device", deviceIds: ids })).body
        .rolloutId as string;
      const reports: number[] = [];
      const agent = async (device: string, index: number) => {
        for (const status of ["updating", index % 5 === 0 ? "failed" : "succeeded"]) {
          const response = await api.put(
            `/rollouts/${rolloutId}/status`,
            { deviceId: device, status, errorMessage: status === "failed" ? "container app exited with code 1" : undefined },
            tokens.get(device),
          );
          reports.push(response.status);
          if (response.status === 409) return; // the server moved on: the agent stops reporting
        }
      };
      const cancel = (async () => {
        await new Promise((resolve) => setTimeout(resolve, cancelAfterMs));
        return (await api.post(`/rollouts/${rolloutId}/cancel`)).status;
      })();
      const [cancelled] = await Promise.all([cancel, ...ids.map(agent)]);
      return { rolloutId, reports, cancelled };
    };

    // Until a round shows the race itself: reports accepted and reports refused by the same cancel.
    let raced = false;
    for (let attempt = 0; attempt < 20 && !raced; attempt++) {
      const { rolloutId, reports, cancelled } = await round(5 + ((attempt * 7) % 30));
      expect(reports.every((status) => status === 200 || status === 409)).toBe(true);
      const rollout = (await api.get(`/rollouts/${rolloutId}`)).body;
      expect(rollout.progress).toEqual(await countsByGroupBy(server.db, rolloutId));
      if (cancelled === 409) {
        // Every device had finished first: nothing to cancel, nothing raced.
        expect(rollout.status).toMatch(/completed|failed/);
        continue;
      }
      expect(cancelled).toBe(204);
      expect(rollout.status).toBe("cancelled");
      expect(rollout.progress.pending + rollout.progress.inProgress).toBe(0);
      raced = reports.includes(200) && reports.includes(409);
      if (!raced) continue;

      // Every cancelled device stays cancelled whatever its agent says next.
      const cancelledDevices = (await api.get(`/rollouts/${rolloutId}/devices?status=cancelled`)).body.devices;
      for (const device of cancelledDevices.slice(0, 5)) {
        const late = await api.put(
          `/rollouts/${rolloutId}/status`,
          { deviceId: device.deviceId, status: "succeeded" },
          tokens.get(device.deviceId),
        );
        expect(late.status).toBe(409);
      }
      expect((await api.get(`/rollouts/${rolloutId}`)).body.progress).toEqual(rollout.progress);
    }
    expect(raced, "no round had reports accepted and refused around the cancel").toBe(true);
  });

  it("authenticates agents and lets each device speak only for itself", async () => {
    const { ids, tokens } = await createFleet(api, `auth-${database.name}`, 2);
    const [own, other] = ids as [string, string];
    const bundleId = await createBundleWithVersions(api, `auth-${database.name}`, ["1.0.0"]);
    const rolloutId = (await api.post("/rollouts", { bundleId, version: "1.0.0", targetType: "device", deviceIds: [own] })).body
      .rolloutId;

    expect((await api.get(`/devices/${own}/desired-state`, null)).status).toBe(401);
    expect((await api.get(`/devices/${own}/desired-state`, "sbd_not-a-real-token")).status).toBe(401);
    const malformed = await api.request("GET", `/devices/${own}/desired-state`, { headers: { authorization: "Basic abc" } });
    expect(malformed.status).toBe(401);
    const foreign = await api.get(`/devices/${own}/desired-state`, tokens.get(other));
    expect(foreign.status).toBe(403);
    expect(foreign.body.message).toContain(other);

    const notMine = await api.put(`/rollouts/${rolloutId}/status`, { deviceId: own, status: "updating" }, tokens.get(other));
    expect(notMine.status).toBe(403);
    const notInRollout = await api.put(
      `/rollouts/${rolloutId}/status`,
      { deviceId: other, status: "updating" },
      tokens.get(other),
    );
    expect(notInRollout.status).toBe(404);
    const unknownRollout = await api.put(
      `/rollouts/${randomUUID()}/status`,
      { deviceId: own, status: "updating" },
      tokens.get(own),
    );
    expect(unknownRollout.status).toBe(404);
    // A device credential has no business on operator paths.
    expect((await api.get("/rollouts", tokens.get(own))).status).toBe(403);

    const heartbeat = await api.post(
      `/devices/${own}/heartbeat`,
      { bundleId, version: "1.0.0", agentVersion: "0.1.0" },
      tokens.get(own),
    );
    expect(heartbeat.status).toBe(200);
    expect(heartbeat.body.deviceId).toBe(own);
    expect((await api.get(`/devices/${own}`)).body).toMatchObject({
      online: true,
      currentBundleId: bundleId,
      currentVersion: "1.0.0",
      agentVersion: "0.1.0",
      lastSeenAt: heartbeat.body.lastSeenAt,
    });
    expect((await api.get(`/devices/${other}`)).body).toMatchObject({ online: false, lastSeenAt: null });
    expect((await api.post(`/devices/${own}/heartbeat`, {}, tokens.get(other))).status).toBe(403);

    // Rotating a token revokes the old one at once.
    const rotated = await api.post(`/devices/${own}/token`);
    expect(rotated.status).toBe(200);
    expect(rotated.body.token).not.toBe(tokens.get(own));
    expect((await api.get(`/devices/${own}/desired-state`, tokens.get(own))).status).toBe(401);
    expect((await api.get(`/devices/${own}/desired-state`, rotated.body.token)).status).toBe(200);
    expect((await api.post(`/devices/ghost-device/token`)).status).toBe(404);
  });

  it("pages and filters lists", async () => {
    const bundleId = await createBundleWithVersions(api, `paging-${database.name}`, ["1.0.0"]);
    const { ids } = await createFleet(api, `page-${database.name}`, 3);
    const created: string[] = [];
    for (const device of ids)
      created.push(
        (await api.post("/rollouts", { bundleId, version: "1.0.0", targetType: "device", deviceIds: [device] })).body.rolloutId,
      );

    const first = await api.get(`/rollouts?bundleId=${bundleId}&pageSize=2`);
    expect(first.body).toMatchObject({ page: 1, pageSize: 2, totalCount: 3, totalPages: 2 });
    // Newest first.
    expect(first.body.data.map((rollout: { id: string }) => rollout.id)).toEqual([created[2], created[1]]);
    const second = await api.get(`/rollouts?bundleId=${bundleId}&pageSize=2&page=2`);
    expect(second.body.data.map((rollout: { id: string }) => rollout.id)).toEqual([created[0]]);
    const beyond = await api.get(`/rollouts?bundleId=${bundleId}&pageSize=2&page=9`);
    expect(beyond.body).toMatchObject({ data: [], totalCount: 3 });

    await api.post(`/rollouts/${created[0]}/cancel`);
    const cancelled = await api.get(`/rollouts?bundleId=${bundleId}&status=cancelled`);
    expect(cancelled.body.data.map((rollout: { id: string }) => rollout.id)).toEqual([created[0]]);

    const search = await api.get(`/devices?search=PAGE-${database.name}-00`);
    expect(search.body.totalCount).toBe(3);
    const bundles = await api.get("/bundles?pageSize=100");
    expect(bundles.body.data).toContainEqual(expect.objectContaining({ id: bundleId, latestVersion: "1.0.0", versionCount: 1 }));
    const versions = await api.get(`/bundles/${SEED_BUNDLE_ID}/versions`);
    expect(versions.body.data.map((version: { version: string }) => version.version)).toEqual(["1.2.0", "1.1.0", "1.0.0"]);
  });

  describe("rejects bad input with a clear 4xx and writes nothing", () => {
    const missing = randomUUID();
    interface Case {
      name: string;
      method: string;
      path: string;
      body?: unknown;
      rawBody?: string;
      status: number;
      mentions: string;
    }
    const cases: Case[] = [
      {
        name: "bad uuid bundleId",
        method: "POST",
        path: "/rollouts",
        body: { bundleId: "nope", version: "1.0.0", targetType: "device", deviceIds: ["device-001"] },
        status: 400,
        mentions: "bundleId",
      },
      {
        name: "bad semver",
        method: "POST",
        path: "/rollouts",
        body: { bundleId: SEED_BUNDLE_ID, version: "1.2", targetType: "device", deviceIds: ["device-001"] },
        status: 400,
        mentions: "version",
      },
      {
        name: "empty target list",
        method: "POST",
        path: "/rollouts",
        body: { bundleId: SEED_BUNDLE_ID, version: "1.2.0", targetType: "device", deviceIds: [] },
        status: 400,
        mentions: "deviceIds",
      },
      {
        name: "group rollout without groups",
        method: "POST",
        path: "/rollouts",
        body: { bundleId: SEED_BUNDLE_ID, version: "1.2.0", targetType: "group" },
        status: 400,
        mentions: "groupIds",
      },
      {
        name: "unknown targetType",
        method: "POST",
        path: "/rollouts",
        body: { bundleId: SEED_BUNDLE_ID, version: "1.2.0", targetType: "fleet", deviceIds: ["device-001"] },
        status: 400,
        mentions: "targetType",
      },
      {
        name: "wrong type for deviceIds",
        method: "POST",
        path: "/rollouts",
        body: { bundleId: SEED_BUNDLE_ID, version: "1.2.0", targetType: "device", deviceIds: "device-001" },
        status: 400,
        mentions: "deviceIds",
      },
      {
        name: "unknown field",
        method: "POST",
        path: "/rollouts",
        body: { bundleId: SEED_BUNDLE_ID, version: "1.2.0", targetType: "device", deviceIds: ["device-001"], priority: 1 },
        status: 400,
        mentions: "priority",
      },
      {
        name: "bad device id",
        method: "POST",
        path: "/rollouts",
        body: { bundleId: SEED_BUNDLE_ID, version: "1.2.0", targetType: "device", deviceIds: ["../etc/passwd"] },
        status: 400,
        mentions: "deviceIds.0",
      },
      { name: "unparseable JSON", method: "POST", path: "/rollouts", rawBody: '{"bundleId": ', status: 400, mentions: "JSON" },
      { name: "array body", method: "POST", path: "/rollouts", rawBody: "[1,2]", status: 400, mentions: "(input)" },
      {
        name: "unknown devices (listed)",
        method: "POST",
        path: "/rollouts",
        body: {
          bundleId: SEED_BUNDLE_ID,
          version: "1.2.0",
          targetType: "device",
          deviceIds: ["device-001", "ghost-1", "ghost-2"],
        },
        status: 422,
        mentions: "ghost-1, ghost-2",
      },
      {
        name: "unknown groups (listed)",
        method: "POST",
        path: "/rollouts",
        body: { bundleId: SEED_BUNDLE_ID, version: "1.2.0", targetType: "group", groupIds: [missing] },
        status: 422,
        mentions: missing,
      },
      {
        name: "unknown bundle",
        method: "POST",
        path: "/rollouts",
        body: { bundleId: missing, version: "1.2.0", targetType: "device", deviceIds: ["device-001"] },
        status: 422,
        mentions: "bundleId",
      },
      {
        name: "unknown version",
        method: "POST",
        path: "/rollouts",
        body: { bundleId: SEED_BUNDLE_ID, version: "9.9.9", targetType: "device", deviceIds: ["device-001"] },
        status: 422,
        mentions: "version",
      },
      { name: "pageSize 0", method: "GET", path: "/rollouts?pageSize=0", status: 400, mentions: "pageSize" },
      { name: "pageSize over 100", method: "GET", path: "/rollouts?pageSize=101", status: 400, mentions: "pageSize" },
      { name: "page not a number", method: "GET", path: "/rollouts?page=abc", status: 400, mentions: "page" },
      { name: "unknown status filter", method: "GET", path: "/rollouts?status=done", status: 400, mentions: "status" },
      { name: "bad rollout id", method: "GET", path: "/rollouts/not-a-uuid", status: 400, mentions: "rolloutId" },
      { name: "unknown rollout", method: "GET", path: `/rollouts/${missing}`, status: 404, mentions: missing },
      { name: "unknown rollout devices", method: "GET", path: `/rollouts/${missing}/devices`, status: 404, mentions: missing },
      {
        name: "device pageSize over 1000",
        method: "GET",
        path: `/rollouts/${missing}/devices?pageSize=1001`,
        status: 400,
        mentions: "pageSize",
      },
      {
        name: "unknown sort",
        method: "GET",
        path: `/rollouts/${missing}/devices?sort=name;DROP TABLE devices`,
        status: 400,
        mentions: "sort",
      },
      { name: "cancel unknown rollout", method: "POST", path: `/rollouts/${missing}/cancel`, status: 404, mentions: missing },
      { name: "retry unknown rollout", method: "POST", path: `/rollouts/${missing}/retry`, status: 404, mentions: missing },
      {
        name: "duplicate device",
        method: "POST",
        path: "/devices",
        body: { id: "device-001", name: "again" },
        status: 409,
        mentions: "device-001",
      },
      {
        name: "bad device id on create",
        method: "POST",
        path: "/devices",
        body: { id: "has space", name: "x" },
        status: 400,
        mentions: "id",
      },
      { name: "empty device name", method: "POST", path: "/devices", body: { name: "   " }, status: 400, mentions: "name" },
      { name: "unknown device", method: "GET", path: "/devices/no-such-device", status: 404, mentions: "no-such-device" },
      {
        name: "duplicate bundle name",
        method: "POST",
        path: "/bundles",
        body: { name: "Warehouse Telemetry" },
        status: 409,
        mentions: "name",
      },
      { name: "unknown bundle", method: "GET", path: `/bundles/${missing}`, status: 404, mentions: missing },
      {
        name: "version of unknown bundle",
        method: "POST",
        path: `/bundles/${missing}/versions`,
        body: { version: "1.0.0", containers: [{ name: "a", image: "b" }] },
        status: 404,
        mentions: missing,
      },
      {
        name: "duplicate version",
        method: "POST",
        path: `/bundles/${SEED_BUNDLE_ID}/versions`,
        body: { version: "1.2.0", containers: [{ name: "a", image: "b" }] },
        status: 409,
        mentions: "1.2.0",
      },
      {
        name: "no containers",
        method: "POST",
        path: `/bundles/${SEED_BUNDLE_ID}/versions`,
        body: { version: "7.0.0", containers: [] },
        status: 400,
        mentions: "containers",
      },
      {
        name: "duplicate container names",
        method: "POST",
        path: `/bundles/${SEED_BUNDLE_ID}/versions`,
        body: {
          version: "7.0.0",
          containers: [
            { name: "a", image: "x" },
            { name: "a", image: "y" },
          ],
        },
        status: 400,
        mentions: "containers.1.name",
      },
      {
        name: "bad port",
        method: "POST",
        path: `/bundles/${SEED_BUNDLE_ID}/versions`,
        body: { version: "7.0.0", containers: [{ name: "a", image: "x", ports: [{ containerPort: 70000 }] }] },
        status: 400,
        mentions: "containers.0.ports.0.containerPort",
      },
      {
        name: "duplicate group name",
        method: "POST",
        path: "/groups",
        body: { name: "Warehouse A" },
        status: 409,
        mentions: "Warehouse A",
      },
      {
        name: "group with unknown devices",
        method: "POST",
        path: "/groups",
        body: { name: "ghosts", deviceIds: ["ghost-9"] },
        status: 422,
        mentions: "ghost-9",
      },
      {
        name: "members of unknown group",
        method: "PUT",
        path: `/groups/${missing}/devices`,
        body: { deviceIds: [] },
        status: 404,
        mentions: missing,
      },
      { name: "unknown path", method: "GET", path: "/nothing-here", status: 404, mentions: "Not found" },
    ];

    it.each(cases)("$name → $status", async (testCase) => {
      const before = await tableSnapshot(server.db);
      const response = await api.request(testCase.method, testCase.path, { body: testCase.body, rawBody: testCase.rawBody });
      expect(response.status, JSON.stringify(response.body)).toBe(testCase.status);
      expect(response.body.message).toContain(testCase.mentions);
      expect(typeof response.body.code).toBe("string");
      expect(await tableSnapshot(server.db)).toEqual(before);
    });

    it("rejects a report with a status agents may not set", async () => {
      const { tokens, ids } = await createFleet(api, `bad-report-${database.name}`, 1);
      const bundleId = await createBundleWithVersions(api, `bad-report-${database.name}`, ["1.0.0"]);
      const rolloutId = (await api.post("/rollouts", { bundleId, version: "1.0.0", targetType: "device", deviceIds: ids })).body
        .rolloutId;
      const before = await tableSnapshot(server.db);
      const response = await api.put(
        `/rollouts/${rolloutId}/status`,
        { deviceId: ids[0], status: "cancelled" },
        tokens.get(ids[0]!),
      );
      expect(response.status).toBe(400);
      expect(response.body.message).toContain("status");
      expect(await tableSnapshot(server.db)).toEqual(before);
    });
  });
});
