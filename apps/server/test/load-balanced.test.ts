import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { POSTGRES_ADMIN_URL, testDatabases } from "./support/databases";
import { createBundleWithVersions, createFleet } from "./support/fleet";
import { type RestClient, restClient } from "./support/http";
import { loadBalancerAvailable } from "./support/loadBalancer";
import { type ReplicaSet, startReplicaSet } from "./support/replicas";
import { openLiveView } from "./support/sse";

const postgres = testDatabases.find((database) => database.name === "postgres");

/**
 * Scale-out as an operator runs it: three server processes (the real `main`) on one PostgreSQL
 * behind HAProxy, round robin, no sticky sessions. What one replica learns, every replica must
 * act on: credentials and their revocation, sessions, login limits, live views, the controller's
 * leadership — and each must ride out losing PostgreSQL on its own.
 */
describe.runIf(postgres && loadBalancerAvailable)("three replicas behind HAProxy on one PostgreSQL", () => {
  let set: ReplicaSet;
  let api: RestClient;
  let direct: RestClient[];
  let databaseUrl: string;
  let databaseName: string;
  let drop: () => Promise<void>;

  const query = async <T extends pg.QueryResultRow = any>(url: string, statement: string, values: unknown[] = []) => {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      return (await client.query<T>(statement, values)).rows;
    } finally {
      await client.end();
    }
  };
  const listeners = async () =>
    (
      await query<{ pid: number }>(
        POSTGRES_ADMIN_URL,
        "SELECT pid FROM pg_stat_activity WHERE datname = $1 AND application_name = 'signalbeam listener'",
        [databaseName],
      )
    ).map((row) => row.pid);
  /** Polls `read` every 20 ms until `done`; returns how long that took. */
  const within = async (what: string, read: () => Promise<boolean>, timeoutMs: number) => {
    const start = performance.now();
    for (;;) {
      if (await read()) return performance.now() - start;
      if (performance.now() - start > timeoutMs) throw new Error(`${what}: not within ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  };
  const leaders = async () => {
    const flags = await Promise.all(
      set.replicas.map(async (replica, index) => {
        if (!replica.running()) return false;
        const answer = await fetch(`${replica.url}/metrics`, { headers: { authorization: `Bearer ${set.adminToken}` } });
        const text = await answer.text();
        return /^signalbeam_controller_leader 1$/m.test(text) ? index : false;
      }),
    );
    return flags.filter((flag): flag is number => flag !== false);
  };

  beforeAll(async () => {
    const created = await postgres!.create();
    drop = created.drop;
    databaseUrl = created.url!;
    databaseName = new URL(databaseUrl).pathname.slice(1);
    set = await startReplicaSet({ databaseUrl, count: 3, env: { SIGNALBEAM_LEADER_RETRY_MS: "500" } });
    api = restClient(set.url, set.adminToken);
    direct = set.replicas.map((replica) => restClient(replica.url, set.adminToken));
  }, 120_000);
  afterAll(async () => {
    await query(POSTGRES_ADMIN_URL, `ALTER DATABASE ${databaseName} ALLOW_CONNECTIONS true`).catch(() => {});
    await set?.close();
    await drop?.();
  });

  it("spreads requests over every replica, one by one, with the same answers", async () => {
    const answers = [];
    for (let index = 0; index < 9; index++) answers.push(await api.get("/rollouts?pageSize=5"));
    expect(new Set(answers.map((answer) => answer.headers.get("x-signalbeam-replica")))).toEqual(new Set(["r1", "r2", "r3"]));
    for (const answer of answers) expect(answer).toMatchObject({ status: 200, body: answers[0]!.body });
    expect(await leaders()).toHaveLength(1);
  });

  it("honours a session made on one replica on all, and a logout on one everywhere within a second", async () => {
    const login = await direct[0]!.request("POST", "/auth/login", {
      token: null,
      body: { username: "admin", password: set.adminPassword },
    });
    expect(login.status).toBe(200);
    const cookie = login.headers.get("set-cookie")!.split(";")[0]!;
    const me = (client: RestClient) => client.request("GET", "/auth/me", { token: null, headers: { cookie } });
    for (const client of direct) expect((await me(client)).body).toMatchObject({ username: "admin", via: "session" });
    // A write with the cookie on another replica: its CSRF token is the session's, wherever it was made.
    const group = await direct[2]!.request("POST", "/groups", {
      token: null,
      headers: { cookie, "x-csrf-token": login.body.csrfToken },
      body: { name: "made-by-cookie" },
    });
    expect(group.status).toBe(201);

    const logout = await direct[1]!.request("POST", "/auth/logout", {
      token: null,
      headers: { cookie, "x-csrf-token": login.body.csrfToken },
    });
    expect(logout.status).toBe(204);
    const refusedAfter = await within(
      "the logout refused on every replica",
      async () => (await Promise.all(direct.map(me))).every((answer) => answer.status === 401),
      1_000,
    );
    expect(refusedAfter).toBeLessThan(1_000);
  });

  it("counts failed logins across replicas: five wrong passwords spread over three lock the account", async () => {
    await api.post("/users", { username: "spread-guesser-target", password: "a-long-enough-password", role: "viewer" });
    const attempt = (client: RestClient, password: string) =>
      client.request("POST", "/auth/login", { token: null, body: { username: "spread-guesser-target", password } });
    for (let index = 0; index < 5; index++) expect((await attempt(direct[index % 3]!, "wrong-password")).status).toBe(401);
    // Each replica alone saw at most two failures; together they saw five, the per-account limit.
    for (const client of direct) {
      const refused = await attempt(client, "a-long-enough-password");
      expect(refused.status).toBe(429);
      expect(refused.body.message).toMatch(/too many failed logins/);
    }
  });

  it("refuses a revoked device token and API key on every replica within a second, listeners cut or not", async () => {
    const device = (await api.post("/devices", { id: "lb-revoked", name: "Revoked behind the balancer" })).body;
    const key = (await api.post("/api-keys", { name: "lb-revoked-key", role: "viewer" })).body;
    const poll = (client: RestClient) => client.get("/devices/lb-revoked/desired-state", device.token);
    const read = (client: RestClient) => client.get("/rollouts?pageSize=1", key.key);
    // Every replica has both credentials in its cache.
    for (const client of direct) {
      expect((await poll(client)).status).toBe(200);
      expect((await read(client)).status).toBe(200);
    }

    // Every replica's NOTIFY connection is cut. Right after, a replica may still answer from what
    // it cached (or cache again while reconnecting): the revocation below must reach it anyway.
    const cut = await listeners();
    expect(cut).toHaveLength(3);
    await query(POSTGRES_ADMIN_URL, "SELECT pg_terminate_backend(pid) FROM unnest($1::int[]) AS pid", [cut]);
    for (const client of direct) await poll(client);

    expect((await direct[1]!.delete("/devices/lb-revoked/token")).status).toBe(204);
    expect((await direct[1]!.delete(`/api-keys/${key.id}`)).status).toBeLessThan(300);
    const refusedAfter = await within(
      "the revoked credentials refused on every replica",
      async () =>
        (await Promise.all(direct.flatMap((client) => [poll(client), read(client)]))).every((answer) => answer.status === 401),
      1_000,
    );
    expect(refusedAfter).toBeLessThan(1_000);
    // And the listeners are back, each on a new connection.
    await within("three new listeners", async () => (await listeners()).filter((pid) => !cut.includes(pid)).length === 3, 10_000);
  });

  it("shows a live view on one replica the reports another handled, within a second", async () => {
    const { ids, tokens } = await createFleet(api, "lb-live", 3);
    const bundleId = await createBundleWithVersions(api, "lb-live", ["1.0.0"]);
    const rolloutId = (await api.post("/rollouts", { bundleId, version: "1.0.0", targetType: "device", deviceIds: ids })).body
      .rolloutId as string;
    const view = await openLiveView(set.replicas[1]!.url, set.adminToken, rolloutId);
    try {
      for (const [index, reporter] of [direct[0]!, direct[2]!, direct[0]!].entries()) {
        const before = view.count();
        const sent = performance.now();
        const answer = await reporter.put(
          `/rollouts/${rolloutId}/status`,
          { deviceId: ids[index], status: "updating" },
          tokens.get(ids[index]!),
        );
        expect(answer.status).toBe(200);
        await view.waitFor(before, 1_000);
        expect(performance.now() - sent).toBeLessThan(1_000);
        // The view's reader sees what the other replica wrote.
        const row = (await direct[1]!.get(`/rollouts/${rolloutId}/devices?status=updating`)).body.devices.map(
          (each: { deviceId: string }) => each.deviceId,
        );
        expect(row).toContain(ids[index]);
      }
    } finally {
      view.close();
    }
  });

  it("hands the controller over when its leader is killed mid-rollout, and applies each action once", async () => {
    const { ids, tokens } = await createFleet(api, "lb-failover", 12);
    const bundleId = await createBundleWithVersions(api, "lb-failover", ["2.0.0"]);
    const created = await api.post("/rollouts", {
      bundleId,
      version: "2.0.0",
      targetType: "device",
      deviceIds: ids,
      policy: {
        waves: [{ name: "canary", count: 2 }, { percent: 50 }, { percent: 100 }],
        gate: { successPercent: 100, soakSeconds: 0 },
      },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const id = created.body.rolloutId as string;
    const rollout = async () => (await api.get(`/rollouts/${id}?targets=summary`)).body;
    const finishPending = async () => {
      const pending = (await api.get(`/rollouts/${id}/devices?status=pending`)).body.devices as { deviceId: string }[];
      for (const { deviceId } of pending)
        for (const status of ["updating", "succeeded"]) {
          const answer = await api.put(`/rollouts/${id}/status`, { deviceId, status }, tokens.get(deviceId));
          expect(answer.status, JSON.stringify(answer.body)).toBe(200);
        }
      return pending.length;
    };

    expect(await finishPending()).toBe(2);
    await within("wave 2", async () => (await rollout()).currentWave === 1, 10_000);
    const [leader] = await leaders();
    expect(leader).toBeDefined();
    await set.replicas[leader!]!.kill("SIGKILL");
    // Through the balancer the wave's devices report as if nothing happened (a refused connection is retried elsewhere).
    expect(await finishPending()).toBe(4);
    const handedOver = await within("wave 3 started by a new leader", async () => (await rollout()).currentWave === 2, 15_000);
    expect(handedOver).toBeLessThan(15_000);
    expect(await leaders()).toHaveLength(1);
    expect(await finishPending()).toBe(6);
    await within("completion", async () => (await rollout()).status === "completed", 10_000);

    const events = await query<{ type: string; wave: number | null }>(
      databaseUrl,
      "SELECT type, (data->>'wave')::int AS wave FROM change_events WHERE rollout_id = $1 ORDER BY id",
      [id],
    );
    const count = (type: string, wave?: number) =>
      events.filter((event) => event.type === type && (wave === undefined || event.wave === wave)).length;
    for (const wave of [0, 1, 2]) expect({ wave, started: count("rollout.wave_started", wave) }).toEqual({ wave, started: 1 });
    expect({ passed: count("rollout.wave_passed"), completed: count("rollout.completed") }).toEqual({ passed: 2, completed: 1 });

    await set.replicas[leader!]!.start();
  }, 90_000);

  it("answers 503 at /healthz on every replica without PostgreSQL, and recovers by itself", async () => {
    const health = async (url: string) => (await fetch(`${url}/healthz`).catch(() => undefined))?.status;
    await query(POSTGRES_ADMIN_URL, `ALTER DATABASE ${databaseName} ALLOW_CONNECTIONS false`);
    await query(
      POSTGRES_ADMIN_URL,
      "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()",
      [databaseName],
    );
    for (const replica of set.replicas)
      await within(`${replica.name} 503`, async () => (await health(replica.url)) === 503, 10_000);
    // With no healthy replica, the balancer answers 503 itself.
    await within("the balancer 503", async () => (await health(set.url)) === 503, 5_000);
    expect(await leaders()).toHaveLength(0);

    await query(POSTGRES_ADMIN_URL, `ALTER DATABASE ${databaseName} ALLOW_CONNECTIONS true`);
    for (const replica of set.replicas)
      await within(`${replica.name} 200`, async () => (await health(replica.url)) === 200, 20_000);
    await within("one leader again", async () => (await leaders()).length === 1, 10_000);
    await within("the balancer serving", async () => (await api.get("/rollouts?pageSize=1")).status === 200, 5_000);
    await within("three listeners again", async () => (await listeners()).length === 3, 15_000);
  }, 90_000);
});
