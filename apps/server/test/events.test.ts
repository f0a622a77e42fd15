import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CHANGE_LOG_LOCK } from "@signalbeam/api";
import { type RunningServer, startServer } from "../src/server";
import { testDatabases } from "./support/databases";
import { createBundleWithVersions, createFleet } from "./support/fleet";
import { type RestClient, restClient } from "./support/http";

/** GET /api/events: the change log, paged by id, so an integration catches up after downtime. */
describe.each(testDatabases)("the change log on $name", (database) => {
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

  it("pages through events in order, filtered by type, family and rollout", async () => {
    const { ids, tokens } = await createFleet(api, `events-${database.name}`, 2);
    const bundleId = await createBundleWithVersions(api, `events-${database.name}`, ["1.0.0"]);
    const created = await api.post("/rollouts", { bundleId, version: "1.0.0", targetType: "device", deviceIds: ids, policy: {} });
    expect(created.status).toBe(201);
    const rolloutId = created.body.rolloutId;
    const failed = await api.put(`/rollouts/${rolloutId}/status`, { deviceId: ids[0], status: "updating" }, tokens.get(ids[0]!));
    expect(failed.status).toBe(200);
    await api.put(
      `/rollouts/${rolloutId}/status`,
      { deviceId: ids[0], status: "failed", errorMessage: "boom" },
      tokens.get(ids[0]!),
    );
    expect((await api.post(`/rollouts/${rolloutId}/cancel`)).status).toBe(204);

    const all = await api.get(`/events?rolloutId=${rolloutId}`);
    expect(all.status, JSON.stringify(all.body)).toBe(200);
    expect(all.body.data.map((event: { type: string }) => event.type)).toEqual([
      "rollout.created",
      "rollout.wave_started",
      "device.failed",
      "rollout.cancelled",
    ]);
    expect(all.body.data[2]).toMatchObject({ rolloutId, deviceId: ids[0], data: { error: "boom", attempt: 1 } });
    expect(all.body.data[3]).toMatchObject({ actor: { type: "api_key" }, data: { cancelledDevices: 1 } });

    // One at a time with after=nextAfter reads the same events, then nothing new.
    const paged: string[] = [];
    let after = 0;
    for (;;) {
      const page = await api.get(`/events?rolloutId=${rolloutId}&limit=1&after=${after}`);
      if (page.body.data.length === 0) {
        expect(page.body.nextAfter).toBe(after);
        break;
      }
      paged.push(page.body.data[0].type);
      after = page.body.nextAfter;
    }
    expect(paged).toHaveLength(4);

    expect((await api.get(`/events?rolloutId=${rolloutId}&type=rollout.*`)).body.data).toHaveLength(3);
    expect((await api.get(`/events?rolloutId=${rolloutId}&type=device.failed`)).body.data).toHaveLength(1);
    const bad = await api.get("/events?type=rollout.exploded");
    expect(bad.status).toBe(400);
    expect(bad.body.message).toMatch(/^type: must be an event type/);
  });
});

const postgres = testDatabases.find((database) => database.name === "postgres");

/** Needs two connections at once, one holding a transaction open: PostgreSQL only (CI requires it). */
describe.skipIf(!postgres)("the change log under concurrent writers", () => {
  let server: RunningServer;
  let api: RestClient;
  let url: string | undefined;
  let drop: () => Promise<void>;

  beforeAll(async () => {
    const created = await postgres!.create();
    drop = created.drop;
    url = created.url;
    server = await startServer({ databaseUrl: created.url, demo: false });
    api = restClient(server.url, server.bootstrap!.generatedToken);
  }, 60_000);
  afterAll(async () => {
    await server?.close();
    await drop?.();
  });

  it("hands out ids in commit order, so a reader paging by id never skips one that commits late", async () => {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      const { after } = { after: (await api.get("/events?limit=1000")).body.nextAfter as number };
      const { ids } = await createFleet(api, "events-race", 1);
      const bundleId = await createBundleWithVersions(api, "events-race", ["1.0.0"]);
      // A slow writer, as the server writes: it takes its transaction id first (an older xid than
      // the server's next one) and its event last, holding the change log's lock until it commits.
      await client.query("BEGIN");
      await client.query("SELECT pg_current_xact_id()");
      await client.query("SELECT pg_advisory_xact_lock($1)", [CHANGE_LOG_LOCK]);
      const slow = await client.query<{ id: string }>(
        `INSERT INTO change_events (type, at, actor, data) VALUES ('rollout.paused', now(), '{"type":"system","id":null,"name":"slow"}', '{}') RETURNING id`,
      );
      // Meanwhile a rollout is created: its event waits for the slow one to be decided.
      const creating = api.post("/rollouts", { bundleId, version: "1.0.0", targetType: "device", deviceIds: ids });
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect((await api.get(`/events?after=${after}`)).body.data).toEqual([]);
      await client.query("COMMIT");
      expect((await creating).status).toBe(201);
      const events = (await api.get(`/events?after=${after}`)).body.data as { id: number; type: string }[];
      expect(events.map((event) => event.type)).toEqual(["rollout.paused", "rollout.created"]);
      expect(events[0]!.id).toBe(Number(slow.rows[0]!.id));
      expect(events[1]!.id).toBeGreaterThan(events[0]!.id);
    } finally {
      await client.end();
    }
  });
});
