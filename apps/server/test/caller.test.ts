import { type Context, createCaller, createDeps, type Deps, deriveRolloutStatus, seedDemoFleet } from "@signalbeam/api";
import { type DatabaseHandle, migrateToLatest, openDatabase, sql } from "@signalbeam/db";
import { TRPCError } from "@trpc/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testDatabases } from "./support/databases";
import { countsByGroupBy } from "./support/fleet";

/** The same domain through `createCaller`, without HTTP: what internal jobs and scripts use. */
describe.each(testDatabases)("createCaller on $name", (database) => {
  let handle: DatabaseHandle;
  let drop: () => Promise<void>;
  let now = new Date("2026-03-01T12:00:00Z");
  const clock = () => now;

  let deps: Deps;
  const as = (principal: Context["principal"]) => createCaller({ ...deps, principal });
  const operator = () =>
    as({
      kind: "user",
      userId: "00000000-0000-4000-8000-000000000001",
      username: "caller-test",
      role: "operator",
      via: { type: "apiKey", keyId: "00000000-0000-4000-8000-000000000002", keyName: "caller test", prefix: "sbk_000000000000" },
    });
  const device = (deviceId: string) => as({ kind: "device", deviceId });

  beforeAll(async () => {
    const created = await database.create();
    drop = created.drop;
    handle = await openDatabase({ databaseUrl: created.url, dataDir: created.dataDir });
    await migrateToLatest(handle.db);
    deps = createDeps({ db: handle.db, clock });
    await seedDemoFleet(deps);
  }, 60_000);

  afterAll(async () => {
    await handle?.close();
    await drop?.();
  });

  it("stores demo rollouts whose status and counters follow the rules", async () => {
    const rollouts = await handle.db.selectFrom("rollouts").selectAll().execute();
    expect(rollouts.map((rollout) => rollout.status).sort()).toEqual(["cancelled", "completed", "failed"]);
    for (const rollout of rollouts) {
      const counts = {
        queued: rollout.queued,
        pending: rollout.pending,
        updating: rollout.updating,
        succeeded: rollout.succeeded,
        failed: rollout.failed,
        cancelled: rollout.cancelled,
      };
      expect(
        deriveRolloutStatus(counts, {
          cancelRequested: rollout.cancel_requested_at !== null,
          paused: rollout.paused_at !== null,
          scheduled: rollout.policy !== null && rollout.current_wave === null,
        }),
      ).toBe(rollout.status);
      expect(await countsByGroupBy(handle.db, rollout.id)).toEqual({
        total: rollout.total,
        queued: rollout.queued,
        pending: rollout.pending,
        inProgress: rollout.updating,
        succeeded: rollout.succeeded,
        failed: rollout.failed,
        cancelled: rollout.cancelled,
      });
    }
    const devices = await handle.db.selectFrom("devices").select(["id", "name"]).orderBy("id").execute();
    expect(devices).toHaveLength(25);
    expect(devices[0]).toEqual({ id: "device-001", name: "Warehouse Sensor 1" });
  });

  it("creates, reports, cancels and retries with typed inputs and outputs", async () => {
    const bundle = await operator().bundles.create({ name: `caller-${database.name}` });
    await operator().bundles.createVersion({
      bundleId: bundle.id,
      version: "1.0.0",
      containers: [{ name: "app", image: "local/app:1" }],
    });
    const a = await operator().devices.create({ id: `caller-a-${database.name}`, name: "Caller A" });
    const b = await operator().devices.create({ id: `caller-b-${database.name}`, name: "Caller B" });
    expect(a.token).toMatch(/^sbd_/);

    const rollout = await operator().rollouts.create({
      bundleId: bundle.id,
      version: "1.0.0",
      targetType: "device",
      deviceIds: [a.id, b.id],
    });
    expect(rollout.progress).toEqual({ total: 2, queued: 0, pending: 2, inProgress: 0, succeeded: 0, failed: 0, cancelled: 0 });

    now = new Date("2026-03-01T12:00:10Z");
    await device(a.id).agent.reportStatus({ rolloutId: rollout.rolloutId, deviceId: a.id, status: "updating" });
    now = new Date("2026-03-01T12:01:10Z");
    await device(a.id).agent.reportStatus({
      rolloutId: rollout.rolloutId,
      deviceId: a.id,
      status: "failed",
      errorMessage: "boom",
    });
    const page = await operator().rollouts.devices({ rolloutId: rollout.rolloutId, status: "failed", page: 1, pageSize: 10 });
    expect(page.devices[0]).toMatchObject({
      deviceId: a.id,
      startedAt: "2026-03-01T12:00:10.000Z",
      completedAt: "2026-03-01T12:01:10.000Z",
      errorMessage: "boom",
    });

    const retried = await operator().rollouts.retry({ rolloutId: rollout.rolloutId });
    expect(retried.progress).toMatchObject({ pending: 2, failed: 0 });
    await operator().rollouts.cancel({ rolloutId: rollout.rolloutId });
    const cancelled = await operator().rollouts.byId({ rolloutId: rollout.rolloutId });
    expect(cancelled).toMatchObject({ status: "cancelled", completedAt: "2026-03-01T12:01:10.000Z", progress: { cancelled: 2 } });
  });

  it("throws TRPCErrors with the documented codes", async () => {
    const codeOf = async (call: () => Promise<unknown>) => {
      try {
        await call();
      } catch (error) {
        expect(error).toBeInstanceOf(TRPCError);
        return (error as TRPCError).code;
      }
      throw new Error("expected the call to fail");
    };
    expect(await codeOf(() => operator().rollouts.byId({ rolloutId: "00000000-0000-4000-8000-000000000000" }))).toBe("NOT_FOUND");
    expect(await codeOf(() => operator().rollouts.list({ page: 1, pageSize: 0 }))).toBe("BAD_REQUEST");
    expect(
      await codeOf(() =>
        operator().rollouts.create({
          bundleId: "f9c15f6f-a40f-40a8-9c6f-a2bf2786f590",
          version: "1.2.0",
          targetType: "device",
          deviceIds: ["nobody"],
        }),
      ),
    ).toBe("UNPROCESSABLE_CONTENT");
    expect(await codeOf(() => device("device-001").rollouts.list({ page: 1, pageSize: 10 }))).toBe("FORBIDDEN");
    expect(await codeOf(() => as({ kind: "anonymous" }).agent.desiredState({ deviceId: "device-001" }))).toBe("UNAUTHORIZED");
    expect(await codeOf(() => device("device-002").agent.desiredState({ deviceId: "device-001" }))).toBe("FORBIDDEN");
  });

  it("never leaves a device active in two rollouts, even when creates race", async () => {
    const bundleId = "f9c15f6f-a40f-40a8-9c6f-a2bf2786f590";
    const targets = ["device-011", "device-012", "device-013", "device-014", "device-015"];
    await Promise.all(
      ["1.0.0", "1.1.0", "1.2.0", "1.0.0", "1.1.0", "1.2.0"].map((version, index) =>
        operator().rollouts.create({
          bundleId,
          version,
          targetType: "device",
          deviceIds: index % 2 ? targets : [...targets].reverse(),
        }),
      ),
    );
    const active = await sql<{ device_id: string; n: number }>`
      SELECT device_id, count(*)::int AS n FROM rollout_statuses
      WHERE status IN ('pending', 'updating') AND device_id = ANY(${targets}::text[])
      GROUP BY device_id
    `.execute(handle.db);
    expect(active.rows.map((row) => row.n)).toEqual([1, 1, 1, 1, 1]);
    // Each device's desired state points at the rollout it is active in.
    const mismatched = await sql<{ device_id: string }>`
      SELECT rs.device_id FROM rollout_statuses rs JOIN device_desired_states dd ON dd.device_id = rs.device_id
      WHERE rs.status IN ('pending', 'updating') AND rs.device_id = ANY(${targets}::text[]) AND dd.rollout_id <> rs.rollout_id
    `.execute(handle.db);
    expect(mismatched.rows).toEqual([]);
    // And every rollout's counters still equal its rows.
    const rollouts = await handle.db.selectFrom("rollouts").selectAll().execute();
    for (const rollout of rollouts) {
      const grouped = await countsByGroupBy(handle.db, rollout.id);
      expect(grouped).toMatchObject({
        total: rollout.total,
        pending: rollout.pending,
        inProgress: rollout.updating,
        cancelled: rollout.cancelled,
      });
    }
  });
});
