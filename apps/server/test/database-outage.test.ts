import { createHash } from "node:crypto";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningServer, startServer } from "../src/server";
import { POSTGRES_ADMIN_URL, testDatabases } from "./support/databases";
import { countsByGroupBy, createBundleWithVersions, createFleet } from "./support/fleet";
import { type RestClient, restClient } from "./support/http";

/**
 * A PostgreSQL restart or failover under traffic: every connection the server holds is cut, and
 * for a while no new one is accepted. The server must stay up, answer 503 meanwhile (and say so at
 * /healthz), come back by itself — pool and NOTIFY listener — and lose nothing it acknowledged.
 * The outage is made on the test's own database (connections refused, every backend terminated),
 * which to the client is the same as a restart, without disturbing suites running beside it.
 * Embedded PGlite lives in the process: there is no server to lose.
 */
const postgres = testDatabases.find((database) => database.name === "postgres");

describe.runIf(postgres)("a PostgreSQL outage under traffic", () => {
  let server: RunningServer;
  let api: RestClient;
  let url: string;
  let drop: () => Promise<void>;
  let databaseName: string;

  const admin = async (statement: string) => {
    const client = new pg.Client({ connectionString: POSTGRES_ADMIN_URL });
    await client.connect();
    try {
      return await client.query(statement);
    } finally {
      await client.end();
    }
  };
  const cutConnections = async () => {
    await admin(`ALTER DATABASE ${databaseName} ALLOW_CONNECTIONS false`);
    await admin(
      `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '${databaseName}' AND pid <> pg_backend_pid()`,
    );
  };
  const allowConnections = () => admin(`ALTER DATABASE ${databaseName} ALLOW_CONNECTIONS true`);
  const health = async () => {
    const response = await fetch(`${server.url}/healthz`);
    return { status: response.status, body: (await response.json()) as { status: string } };
  };

  beforeAll(async () => {
    const created = await postgres!.create();
    drop = created.drop;
    url = created.url!;
    databaseName = new URL(url).pathname.slice(1);
    server = await startServer({ databaseUrl: url, demo: false });
    api = restClient(server.url, server.bootstrap!.generatedToken);
  }, 60_000);
  afterAll(async () => {
    await allowConnections().catch(() => {});
    await server?.close();
    await drop?.();
  });

  it("stays up, answers 503 during it, recovers by itself and keeps every acknowledged report", async () => {
    const { ids, tokens } = await createFleet(api, "outage", 30);
    const bundleId = await createBundleWithVersions(api, "outage", ["1.0.0"]);
    const rolloutId = (await api.post("/rollouts", { bundleId, version: "1.0.0", targetType: "device", deviceIds: ids })).body
      .rolloutId as string;

    // Agents: each reports updating then succeeded, and repeats a report until it is acknowledged.
    const acknowledged = new Map<string, string>();
    const statuses = new Map<number, number>();
    const agent = async (deviceId: string) => {
      for (const status of ["updating", "succeeded"]) {
        for (;;) {
          const answer = await api
            .put(`/rollouts/${rolloutId}/status`, { deviceId, status }, tokens.get(deviceId))
            .catch(() => ({ status: 0, body: undefined }));
          statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
          if (answer.status === 200) {
            acknowledged.set(deviceId, status);
            break;
          }
          expect([503, 0]).toContain(answer.status);
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
        await new Promise((resolve) => setTimeout(resolve, 20 + Math.random() * 200));
      }
    };
    const agents = Promise.all(ids.map(agent));

    await new Promise((resolve) => setTimeout(resolve, 150));
    await cutConnections();
    // During the outage: the process answers, with 503s that say what is wrong.
    await expect.poll(async () => (await health()).status, { timeout: 5_000, interval: 50 }).toBe(503);
    expect((await health()).body).toMatchObject({ status: "unavailable" });
    const read = await api.get(`/rollouts/${rolloutId}?targets=summary`);
    expect(read.status, JSON.stringify(read.body)).toBe(503);
    expect(read.body.message).toMatch(/database is unavailable/);
    expect(read.headers.get("retry-after")).toBe("2");
    expect(read.headers.get("x-content-type-options")).toBe("nosniff");
    await new Promise((resolve) => setTimeout(resolve, 1_000));

    await allowConnections();
    await expect.poll(async () => (await health()).status, { timeout: 15_000, interval: 100 }).toBe(200);
    await agents;
    expect(statuses.get(503) ?? 0, JSON.stringify([...statuses])).toBeGreaterThan(0);

    // Nothing acknowledged is lost, and the counters still equal the rows.
    expect([...acknowledged.values()].every((status) => status === "succeeded")).toBe(true);
    const rollout = (await api.get(`/rollouts/${rolloutId}`)).body;
    expect(rollout).toMatchObject({ status: "completed", progress: { total: 30, succeeded: 30 } });
    expect(rollout.progress).toEqual(await countsByGroupBy(server.database.db, rolloutId));
  });

  it("hears other replicas' changes again once its listener is back", async () => {
    await expect.poll(() => server.notificationListener?.listening(), { timeout: 15_000, interval: 100 }).toBe(true);
    const replica = await startServer({ databaseUrl: url, demo: false });
    try {
      const { ids, tokens } = await createFleet(api, "relisten", 1);
      const device = ids[0]!;
      const poll = () => api.get(`/devices/${device}/desired-state`, tokens.get(device));
      const cachedHere = () => server.agentCache.deviceForToken(createHash("sha256").update(tokens.get(device)!).digest("hex"));
      // Only the listeners' connections are cut this time: each must notice, come back and listen again.
      await admin(
        `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '${databaseName}' AND query LIKE 'LISTEN%'`,
      );
      await expect.poll(() => server.notificationListener?.listening(), { timeout: 5_000, interval: 10 }).toBe(false);
      await expect.poll(() => server.notificationListener?.listening(), { timeout: 15_000, interval: 50 }).toBe(true);
      // Known from memory again, after the resync: from here only a NOTIFY can make this server forget it.
      expect((await poll()).status).toBe(200);
      expect(cachedHere()).toBe(device);
      const revoked = await restClient(replica.url, server.bootstrap!.generatedToken).delete(`/devices/${device}/token`);
      expect(revoked.status).toBe(204);
      await expect.poll(async () => (await poll()).status, { timeout: 2_000, interval: 50 }).toBe(401);
      expect(cachedHere()).toBeUndefined();
    } finally {
      await replica.close();
    }
  });
});
