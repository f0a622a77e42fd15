import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningServer, startServer } from "../src/server";
import { testDatabases } from "./support/databases";
import { createBundleWithVersions, createFleet } from "./support/fleet";
import { type RestClient, restClient } from "./support/http";

/** Conditional polls (ETag / If-None-Match) and the caches behind them, kept right by every write. */
describe.each(testDatabases)("agent polls on $name", (database) => {
  let server: RunningServer;
  let api: RestClient;
  let drop: () => Promise<void>;
  let url: string | undefined;
  /** Every statement the server runs, in order. */
  const queries: string[] = [];

  beforeAll(async () => {
    const created = await database.create();
    drop = created.drop;
    url = created.url;
    server = await startServer({
      databaseUrl: created.url,
      dataDir: created.dataDir,
      demo: false,
      // Only the agents' traffic is counted: no background work that polls on a timer.
      controller: { tick: false },
      integrations: { tick: false },
      onQuery: (statement) => queries.push(statement),
    });
    api = restClient(server.url, server.bootstrap!.generatedToken);
  }, 60_000);
  afterAll(async () => {
    await server?.close();
    await drop?.();
  });

  const poll = (deviceId: string, token: string, etag?: string) =>
    api.request("GET", `/devices/${deviceId}/desired-state`, { token, headers: etag ? { "if-none-match": etag } : {} });

  it("answers with an ETag, then 304 without a body while nothing changes", async () => {
    const { ids, tokens } = await createFleet(api, `etag-${database.name}`, 1);
    const device = ids[0]!;
    const first = await poll(device, tokens.get(device)!);
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ deviceId: device, rolloutId: null, containers: [] });
    const etag = first.headers.get("etag")!;
    expect(etag).toMatch(/^"[A-Za-z0-9_-]{27}"$/);
    expect(first.headers.get("content-type")).toContain("application/json");

    const again = await poll(device, tokens.get(device)!, etag);
    expect(again.status).toBe(304);
    expect(again.body).toBeUndefined();
    expect(again.headers.get("etag")).toBe(etag);
    // A stale or foreign ETag gets the full answer.
    expect((await poll(device, tokens.get(device)!, '"something-else"')).status).toBe(200);
    expect((await poll(device, tokens.get(device)!, `W/${etag}`)).status).toBe(304);
  });

  it("changes the answer at once when a rollout, a retry or a cancel changes the desired state", async () => {
    const { ids, tokens } = await createFleet(api, `change-${database.name}`, 2);
    const [a, b] = ids as [string, string];
    const bundleId = await createBundleWithVersions(api, `change-${database.name}`, ["1.0.0", "2.0.0"]);
    const before = await poll(a, tokens.get(a)!);
    const etag0 = before.headers.get("etag")!;

    const rolloutId = (await api.post("/rollouts", { bundleId, version: "1.0.0", targetType: "device", deviceIds: [a, b] })).body
      .rolloutId;
    const assigned = await poll(a, tokens.get(a)!, etag0);
    expect(assigned.status).toBe(200);
    expect(assigned.body).toMatchObject({ rolloutId, version: "1.0.0", attempt: 1 });
    const etag1 = assigned.headers.get("etag")!;
    expect((await poll(a, tokens.get(a)!, etag1)).status).toBe(304);

    await api.put(`/rollouts/${rolloutId}/status`, { deviceId: a, status: "updating" }, tokens.get(a));
    await api.put(`/rollouts/${rolloutId}/status`, { deviceId: a, status: "failed", errorMessage: "x" }, tokens.get(a));
    expect((await poll(a, tokens.get(a)!, etag1)).status).toBe(304); // a report changes nothing the agent reads
    await api.post(`/rollouts/${rolloutId}/retry`);
    const retried = await poll(a, tokens.get(a)!, etag1);
    expect(retried.status).toBe(200);
    expect(retried.body.attempt).toBe(2);

    const etagB = (await poll(b, tokens.get(b)!)).headers.get("etag")!;
    await api.post(`/rollouts/${rolloutId}/cancel`);
    const restored = await poll(b, tokens.get(b)!, etagB);
    expect(restored.status).toBe(200);
    expect(restored.body).toMatchObject({ rolloutId: null, version: null });
  });

  it("answers a warm fleet's polls from memory: full answers and 304s make no database query", async () => {
    const { ids, tokens } = await createFleet(api, `memory-${database.name}`, 5);
    const bundleId = await createBundleWithVersions(api, `memory-${database.name}`, ["1.0.0"]);
    const rolloutId = (await api.post("/rollouts", { bundleId, version: "1.0.0", targetType: "device", deviceIds: ids })).body
      .rolloutId;
    await server.cacheWarmer.idle();
    await server.integrations.settled(); // the rollout's event, fanned out now rather than mid-count
    queries.length = 0;
    for (const device of ids) {
      const full = await poll(device, tokens.get(device)!);
      expect(full.body).toMatchObject({ rolloutId, version: "1.0.0" });
      expect((await poll(device, tokens.get(device)!, full.headers.get("etag")!)).status).toBe(304);
    }
    expect(queries).toEqual([]);
    // The counter does see queries: a report is written to the database.
    await api.put(`/rollouts/${rolloutId}/status`, { deviceId: ids[0], status: "updating" }, tokens.get(ids[0]!));
    expect(queries.length).toBeGreaterThan(0);
  });

  it("knows a token from the registration or rotation that made it: no lookup on its first use", async () => {
    const tokenLookups = () =>
      queries.filter((statement) => /^select .* from "devices" where "token_hash" = \$1/.test(statement)).length;
    const bundleId = await createBundleWithVersions(api, `fresh-${database.name}`, ["1.0.0"]);
    queries.length = 0;
    const { ids, tokens } = await createFleet(api, `fresh-${database.name}`, 3);
    const rolloutId = (await api.post("/rollouts", { bundleId, version: "1.0.0", targetType: "device", deviceIds: ids })).body
      .rolloutId;
    for (const device of ids) {
      expect((await poll(device, tokens.get(device)!)).status).toBe(200);
      const report = await api.put(`/rollouts/${rolloutId}/status`, { deviceId: device, status: "updating" }, tokens.get(device));
      expect(report.status).toBe(200);
    }
    const rotated = (await api.post(`/devices/${ids[0]}/token`)).body.token;
    expect((await poll(ids[0]!, rotated)).status).toBe(200);
    expect(tokenLookups()).toBe(0);
    // The old token is refused (looked up, not found: that is the one lookup).
    expect((await poll(ids[0]!, tokens.get(ids[0]!)!)).status).toBe(401);
    expect(tokenLookups()).toBe(1);
  });

  it("stops accepting a cached token the moment it is rotated or revoked", async () => {
    const { ids, tokens } = await createFleet(api, `cachedtoken-${database.name}`, 1);
    const device = ids[0]!;
    expect((await poll(device, tokens.get(device)!)).status).toBe(200); // now cached
    const rotated = (await api.post(`/devices/${device}/token`)).body.token;
    expect((await poll(device, tokens.get(device)!)).status).toBe(401);
    expect((await poll(device, rotated)).status).toBe(200);
    await api.delete(`/devices/${device}/token`);
    expect((await poll(device, rotated)).status).toBe(401);
  });

  it("keeps devices that never polled warm in the cache, with the procedure's exact bytes, through every change", async () => {
    const { ids, tokens } = await createFleet(api, `warm-${database.name}`, 3);
    const [a, b, idle] = ids as [string, string, string];
    const bundleId = await createBundleWithVersions(api, `warm-${database.name}`, ["1.0.0"]);
    const rolloutId = (await api.post("/rollouts", { bundleId, version: "1.0.0", targetType: "device", deviceIds: [a, b] })).body
      .rolloutId;
    await api.post(`/devices/${idle}/token`); // the first token is gone; the new one is cached instead
    await server.cacheWarmer.idle();

    // What the procedure itself answers, through tRPC: the warmer must have stored exactly these bytes.
    const procedureAnswer = async (device: string) => {
      // The tRPC endpoint speaks superjson: `{ json: … }` both ways.
      const input = encodeURIComponent(JSON.stringify({ json: { deviceId: device } }));
      const response = await fetch(`${server.url}/trpc/agent.desiredState?input=${input}`, {
        headers: { authorization: `Bearer ${tokens.get(device)}` },
      });
      const answer = (await response.json()) as { result?: { data: { json: unknown } } };
      expect(answer.result, JSON.stringify(answer)).toBeDefined();
      return JSON.stringify(answer.result!.data.json);
    };
    for (const device of [a, b]) {
      const cached = server.agentCache.desiredState(device);
      expect(cached, `${device} warm`).toBeDefined();
      expect(JSON.parse(cached!.body)).toMatchObject({ rolloutId, version: "1.0.0", attempt: 1 });
      expect(cached!.body).toBe(await procedureAnswer(device));
    }
    expect(JSON.parse(server.agentCache.desiredState(idle)!.body)).toMatchObject({ deviceId: idle, rolloutId: null });
    expect(server.agentCache.stats().tokens).toBeGreaterThanOrEqual(3);
    expect((await poll(idle, tokens.get(idle)!)).status).toBe(401); // rotated: the old digest was never re-warmed

    await api.post(`/rollouts/${rolloutId}/cancel`);
    await server.cacheWarmer.idle();
    expect(JSON.parse(server.agentCache.desiredState(a)!.body)).toMatchObject({ rolloutId: null, version: null });
    expect(server.agentCache.desiredState(a)!.body).toBe(await procedureAnswer(a));
  });

  it("has a poll that finds nothing cached wait for the warmer's batch rather than query on its own", async () => {
    const { ids, tokens } = await createFleet(api, `herd-${database.name}`, 3);
    await server.cacheWarmer.idle();
    // As a rollout's commit does: these devices' answers are gone and the warmer is reloading them.
    server.agentCache.desiredStatesChanged(ids);
    const waits = ids.map((id) => server.cacheWarmer.loading(id));
    expect(waits.every((wait) => wait instanceof Promise)).toBe(true);
    expect(server.cacheWarmer.loading(`never-invalidated-${database.name}`)).toBeUndefined();
    const polls = await Promise.all(ids.map((id) => poll(id, tokens.get(id)!)));
    expect(polls.map((response) => response.status)).toEqual([200, 200, 200]);
    await Promise.all(waits);
    for (const id of ids) expect(server.agentCache.desiredState(id), id).toBeDefined();
    expect(server.cacheWarmer.loading(ids[0]!)).toBeUndefined(); // loaded: nothing left to wait for
  });

  it("answers errors exactly as the REST path does", async () => {
    const { ids, tokens } = await createFleet(api, `errors-${database.name}`, 2);
    const [a, b] = ids as [string, string];
    const foreign = await poll(a, tokens.get(b)!);
    expect(foreign.status).toBe(403);
    expect(foreign.body).toMatchObject({ code: "FORBIDDEN", message: expect.stringContaining(b) });
    const withQuery = await api.request("GET", `/devices/${a}/desired-state?extra=1`, { token: tokens.get(a) });
    expect(withQuery.status).toBe(400);
    expect(withQuery.body.message).toContain("extra");
    expect((await api.request("GET", `/devices/${a}/desired-state`, { token: null })).status).toBe(401);
  });

  // Replicas share a PostgreSQL server; embedded PGlite is one process, so there is no second one to tell.
  if (database.name === "postgres")
    it("keeps a second replica's cache right through NOTIFY", async () => {
      const replica = await startServer({ databaseUrl: url, demo: false });
      try {
        const { ids, tokens } = await createFleet(api, `replica-${database.name}`, 1);
        const device = ids[0]!;
        const onReplica = restClient(replica.url);
        const viaReplica = (token: string, etag?: string) =>
          onReplica.request("GET", `/devices/${device}/desired-state`, { token, headers: etag ? { "if-none-match": etag } : {} });
        const etag = (await viaReplica(tokens.get(device)!)).headers.get("etag")!;
        expect((await viaReplica(tokens.get(device)!, etag)).status).toBe(304); // cached on the replica

        const bundleId = await createBundleWithVersions(api, `replica-${database.name}`, ["1.0.0"]);
        await api.post("/rollouts", { bundleId, version: "1.0.0", targetType: "device", deviceIds: [device] }); // on the first server
        const changed = async () => (await viaReplica(tokens.get(device)!, etag)).status === 200;
        await expect.poll(changed, { timeout: 3_000, interval: 20 }).toBe(true);

        const rotated = (await api.post(`/devices/${device}/token`)).body.token;
        await expect.poll(async () => (await viaReplica(tokens.get(device)!)).status, { timeout: 3_000, interval: 20 }).toBe(401);
        expect((await viaReplica(rotated)).status).toBe(200);
      } finally {
        await replica.close();
      }
    });
});
