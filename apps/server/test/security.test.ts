import { Writable } from "node:stream";
import { createLoginLimiter } from "@signalbeam/api";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningServer, startServer } from "../src/server";
import { testDatabases } from "./support/databases";
import { createBundleWithVersions, createFleet } from "./support/fleet";
import { type RestClient, restClient } from "./support/http";

/** Operator accounts, sessions, API keys, device credentials and the audit trail, over real HTTP. */
describe.each(testDatabases)("security on $name", (database) => {
  let server: RunningServer;
  let api: RestClient;
  let drop: () => Promise<void>;
  let url: string | undefined;
  let admin: { password: string; token: string };
  const logLines: string[] = [];

  beforeAll(async () => {
    const created = await database.create();
    drop = created.drop;
    url = created.url;
    // Every log line the server writes, at the most verbose level, to check no secret is in one.
    const sink = new Writable({
      write(chunk, _encoding, done) {
        logLines.push(String(chunk));
        done();
      },
    });
    server = await startServer({
      databaseUrl: created.url,
      dataDir: created.dataDir,
      demo: true,
      log: pino({ level: "trace" }, sink),
      loginLimiter: createLoginLimiter({ perAccount: 3, perAddress: 10, windowSeconds: 60 }),
    });
    admin = { password: server.bootstrap!.generatedPassword!, token: server.bootstrap!.generatedToken! };
    api = restClient(server.url, admin.token);
  }, 60_000);

  afterAll(async () => {
    await server?.close();
    await drop?.();
  });

  const login = (username: string, password: string) =>
    api.request("POST", "/auth/login", { body: { username, password }, token: null });
  const cookieOf = (response: { headers: Headers }) => response.headers.get("set-cookie")!.split(";")[0]!;

  it("bootstraps one admin with a generated password and key, and never again", async () => {
    expect(admin.password.length).toBeGreaterThanOrEqual(16);
    expect(admin.token).toMatch(/^sbk_[0-9a-f]{12}_[A-Za-z0-9_-]{43}$/);
    const users = await api.get("/users");
    expect(users.body.data.map((user: { username: string; role: string }) => [user.username, user.role])).toEqual([
      ["admin", "admin"],
    ]);
    // Only hashes are stored.
    const stored = await server.database.db.selectFrom("users").select("password_hash").executeTakeFirstOrThrow();
    expect(stored.password_hash).toMatch(/^scrypt\$32768\$8\$1\$/);
    expect(stored.password_hash).not.toContain(admin.password);
    const key = await server.database.db.selectFrom("api_keys").select("secret_hash").executeTakeFirstOrThrow();
    expect(admin.token).not.toContain(key.secret_hash);
  });

  it("answers 401 to anonymous operator calls and names what to send", async () => {
    const response = await api.get("/rollouts", null);
    expect(response.status).toBe(401);
    expect(response.body.message).toContain("API key");
    expect((await api.get("/rollouts", "sbk_0123456789ab_not-a-real-key-at-all")).status).toBe(401);
    expect((await api.get("/rollouts", "something-else")).status).toBe(401);
  });

  it("signs in with a session cookie that is httpOnly and SameSite=Strict, and signs out", async () => {
    const response = await login("admin", admin.password);
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ username: "admin", role: "admin", via: "session" });
    const setCookie = response.headers.get("set-cookie")!;
    expect(setCookie).toMatch(/^signalbeam_session=[A-Za-z0-9_-]{43};/);
    expect(setCookie).toContain("HttpOnly");
    expect(setCookie).toContain("SameSite=Strict");
    const cookie = cookieOf(response);
    const me = await api.request("GET", "/auth/me", { token: null, headers: { cookie } });
    expect(me.body).toMatchObject({ username: "admin", via: "session", csrfToken: response.body.csrfToken });

    const logout = await api.request("POST", "/auth/logout", {
      token: null,
      headers: { cookie, "x-csrf-token": response.body.csrfToken },
    });
    expect(logout.status).toBe(204);
    expect(logout.headers.get("set-cookie")).toContain("Max-Age=0");
    expect((await api.request("GET", "/auth/me", { token: null, headers: { cookie } })).status).toBe(401);
  });

  it("refuses a cookie-authenticated write without the session's CSRF token", async () => {
    const session = await login("admin", admin.password);
    const cookie = cookieOf(session);
    const body = { name: `csrf-${database.name}` };
    const without = await api.request("POST", "/groups", { token: null, headers: { cookie }, body });
    expect(without.status).toBe(403);
    expect(without.body.message).toContain("X-CSRF-Token");
    const wrong = await api.request("POST", "/groups", { token: null, headers: { cookie, "x-csrf-token": "guess" }, body });
    expect(wrong.status).toBe(403);
    const right = await api.request("POST", "/groups", {
      token: null,
      headers: { cookie, "x-csrf-token": session.body.csrfToken },
      body,
    });
    expect(right.status).toBe(201);
    // Reads need no token: the cookie alone is enough for GET.
    expect((await api.request("GET", "/groups", { token: null, headers: { cookie } })).status).toBe(200);
  });

  it("rate-limits failed logins per account, with Retry-After, without locking out the right password elsewhere", async () => {
    await api.post("/users", { username: `target-${database.name}`, password: "a-long-enough-password", role: "viewer" });
    for (let attempt = 0; attempt < 3; attempt++)
      expect((await login(`target-${database.name}`, "wrong-password")).status).toBe(401);
    const limited = await login(`target-${database.name}`, "a-long-enough-password");
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(limited.body.message).toContain("too many failed logins");
    // Another account from the same address is not locked by this one's failures.
    expect((await login("admin", admin.password)).status).toBe(200);
  });

  it("gives users roles: a viewer reads, an operator runs rollouts, only an admin manages access", async () => {
    const viewerKey = (await api.post("/api-keys", { name: "dashboard-tv", role: "viewer" })).body.key;
    const operatorKey = (await api.post("/api-keys", { name: "ci-deploy", role: "operator" })).body.key;
    expect((await api.get("/rollouts", viewerKey)).status).toBe(200);
    const denied = await api.post("/groups", { name: `viewer-${database.name}` }, viewerKey);
    expect(denied.status).toBe(403);
    expect(denied.body.message).toBe('this needs the operator role; API key "dashboard-tv" has the viewer role');
    expect((await api.post("/groups", { name: `operator-${database.name}` }, operatorKey)).status).toBe(201);
    expect((await api.post("/api-keys", { name: "escalate" }, operatorKey)).status).toBe(403);
    expect((await api.get("/users", operatorKey)).status).toBe(403);
  });

  it("lists API keys by prefix with last-used time, never the secret, and revokes them at once", async () => {
    const created = await api.post("/api-keys", { name: "revocable", role: "operator" });
    expect(created.status).toBe(201);
    const { key, id, prefix } = created.body;
    expect(key.startsWith(`${prefix}_`)).toBe(true);
    expect((await api.get("/rollouts", key)).status).toBe(200);

    const listing = await api.get("/api-keys");
    expect(JSON.stringify(listing.body)).not.toContain(key.slice(prefix.length + 1));
    const listed = listing.body.data.find((entry: { id: string }) => entry.id === id);
    expect(listed).toMatchObject({ name: "revocable", prefix, role: "operator", createdBy: "admin", revokedAt: null });
    expect(listed.lastUsedAt).not.toBeNull();

    expect((await api.delete(`/api-keys/${id}`)).status).toBe(204);
    expect((await api.delete(`/api-keys/${id}`)).status).toBe(204); // repeatable
    expect((await api.get("/rollouts", key)).status).toBe(401);
    expect((await api.delete("/api-keys/00000000-0000-4000-8000-000000000000")).status).toBe(404);
  });

  // Replicas share a PostgreSQL server; embedded PGlite is one process, so there is no second one to tell.
  if (database.name === "postgres")
    it("answers keys and sessions from memory yet refuses them on every replica once revoked or logged out", async () => {
      let now = new Date(); // near real time: sessions made by the first server must not look expired here
      const replica = await startServer({ databaseUrl: url, demo: false, clock: () => now });
      try {
        const onReplica = restClient(replica.url);
        const { key, id } = (await api.post("/api-keys", { name: `replica-${database.name}`, role: "viewer" })).body;
        const lastUsed = async () =>
          (await server.database.db.selectFrom("api_keys").select("last_used_at").where("id", "=", id).executeTakeFirstOrThrow())
            .last_used_at;
        expect((await onReplica.get("/rollouts", key)).status).toBe(200);
        expect(replica.operatorCache.stats().entries).toBe(1);
        expect(await lastUsed()).toEqual(now);
        // Last use is still written, once a minute, while the key is answered from memory.
        const first = now;
        now = new Date(first.getTime() + 30_000);
        expect((await onReplica.get("/rollouts", key)).status).toBe(200);
        expect(await lastUsed()).toEqual(first);
        now = new Date(first.getTime() + 91_000);
        expect((await onReplica.get("/rollouts", key)).status).toBe(200);
        expect(await lastUsed()).toEqual(now);

        const session = await login("admin", admin.password);
        const cookie = cookieOf(session);
        const me = () => onReplica.request("GET", "/auth/me", { token: null, headers: { cookie } });
        expect((await me()).status).toBe(200);

        // Revoked on the first server: refused by the replica as soon as the NOTIFY arrives.
        expect((await api.delete(`/api-keys/${id}`)).status).toBe(204);
        await expect.poll(async () => (await onReplica.get("/rollouts", key)).status, { timeout: 3_000, interval: 20 }).toBe(401);
        expect((await me()).status).toBe(200);
        const logout = await api.request("POST", "/auth/logout", {
          token: null,
          headers: { cookie, "x-csrf-token": session.body.csrfToken },
        });
        expect(logout.status).toBe(204);
        await expect.poll(async () => (await me()).status, { timeout: 3_000, interval: 20 }).toBe(401);
      } finally {
        await replica.close();
      }
    });

  it("keeps device and operator credentials apart, and rotates and revokes device tokens", async () => {
    const { ids, tokens } = await createFleet(api, `cred-${database.name}`, 1);
    const device = ids[0]!;
    // An operator key on an agent path, and a device token on an operator path: both 403.
    const operatorOnAgent = await api.get(`/devices/${device}/desired-state`);
    expect(operatorOnAgent.status).toBe(403);
    expect(operatorOnAgent.body.message).toContain("device token");
    expect((await api.get("/rollouts", tokens.get(device))).status).toBe(403);
    expect((await api.get("/auth/me", tokens.get(device))).status).toBe(403);

    const rotated = await api.post(`/devices/${device}/token`);
    expect((await api.get(`/devices/${device}/desired-state`, tokens.get(device))).status).toBe(401);
    expect((await api.get(`/devices/${device}/desired-state`, rotated.body.token)).status).toBe(200);
    expect((await api.delete(`/devices/${device}/token`)).status).toBe(204);
    const revoked = await api.get(`/devices/${device}/desired-state`, rotated.body.token);
    expect(revoked.status).toBe(401);
    expect(revoked.body.message).toContain("revoked");
    expect((await api.delete(`/devices/ghost-device/token`)).status).toBe(404);
    // A new token brings the device back.
    const reissued = await api.post(`/devices/${device}/token`);
    expect((await api.get(`/devices/${device}/desired-state`, reissued.body.token)).status).toBe(200);
  });

  it("records who created, retried and cancelled a rollout, readable by viewers", async () => {
    const { ids, tokens } = await createFleet(api, `audit-${database.name}`, 2);
    const bundleId = await createBundleWithVersions(api, `audit-${database.name}`, ["1.0.0"]);
    const operatorKey = (await api.post("/api-keys", { name: "release-bot", role: "operator" })).body;
    const rolloutId = (
      await api.post("/rollouts", { bundleId, version: "1.0.0", targetType: "device", deviceIds: ids }, operatorKey.key)
    ).body.rolloutId;
    await api.put(`/rollouts/${rolloutId}/status`, { deviceId: ids[0], status: "updating" }, tokens.get(ids[0]!));
    await api.put(
      `/rollouts/${rolloutId}/status`,
      { deviceId: ids[0], status: "failed", errorMessage: "x" },
      tokens.get(ids[0]!),
    );
    expect((await api.post(`/rollouts/${rolloutId}/retry`)).status).toBe(200);
    // Cancelled from the dashboard: a session, so the actor is the user.
    const session = await login("admin", admin.password);
    const cancel = () =>
      api.request("POST", `/rollouts/${rolloutId}/cancel`, {
        token: null,
        headers: { cookie: cookieOf(session), "x-csrf-token": session.body.csrfToken },
      });
    expect((await cancel()).status).toBe(204);
    expect((await cancel()).status).toBe(204); // a no-op is not an event

    const viewerKey = (await api.post("/api-keys", { name: "auditor", role: "viewer" })).body.key;
    const trail = await api.get(`/audit?targetType=rollout&targetId=${rolloutId}`, viewerKey);
    expect(trail.status).toBe(200);
    const events = trail.body.data.map((event: any) => [event.action, event.actor.type, event.actor.name]);
    expect(events).toEqual([
      ["rollout.cancelled", "user", "admin"],
      ["rollout.retried", "api_key", expect.stringMatching(/^admin \(API key "bootstrap admin key", sbk_[0-9a-f]{12}\)$/)],
      ["rollout.created", "api_key", `admin (API key "release-bot", ${operatorKey.prefix})`],
    ]);
    expect(trail.body.data[2].details).toMatchObject({ bundleId, version: "1.0.0", targetType: "device", devices: 2 });
    expect(trail.body.data[1].details).toEqual({ retriedDevices: 1 });
    expect(trail.body.data[0].details).toEqual({ cancelledDevices: 2 });

    const keys = await api.get("/audit?action=api_key.created&pageSize=200", viewerKey);
    expect(keys.body.data.some((event: any) => event.details.name === "release-bot")).toBe(true);
    expect((await api.get("/audit?action=format.disk", viewerKey)).status).toBe(400);
  });

  it("creates users with validated fields and refuses duplicates", async () => {
    const short = await api.post("/users", { username: "bob", password: "short", role: "viewer" });
    expect(short.status).toBe(400);
    expect(short.body.message).toContain("password: must be at least 12 characters");
    const badRole = await api.post("/users", { username: "bob", password: "long-enough-password", role: "root" });
    expect(badRole.status).toBe(400);
    expect(badRole.body.message).toContain("role");
    const extra = await api.post("/users", { username: "bob", password: "long-enough-password", role: "viewer", isAdmin: true });
    expect(extra.status).toBe(400);
    expect(extra.body.message).toContain("isAdmin");
    expect((await api.post("/users", { username: "bob", password: "long-enough-password", role: "viewer" })).status).toBe(201);
    const duplicate = await api.post("/users", { username: "bob", password: "long-enough-password", role: "viewer" });
    expect(duplicate.status).toBe(409);
    expect((await login("bob", "long-enough-password")).body.role).toBe("viewer");
  });

  it("sends security headers with the dashboard", async () => {
    const response = await fetch(`${server.url}/`);
    expect(response.headers.get("content-security-policy")).toContain("script-src 'self'");
    expect(response.headers.get("content-security-policy")).toContain("frame-ancestors 'none'");
    expect(response.headers.get("x-frame-options")).toBe("DENY");
    expect(response.headers.get("x-content-type-options")).toBe("nosniff");
    expect(response.headers.get("referrer-policy")).toBe("no-referrer");
  });

  it("never writes a password, key, token or session cookie to the log", () => {
    const log = logLines.join("");
    expect(logLines.length).toBeGreaterThan(20); // the requests above were logged
    for (const secret of [admin.password, admin.token, admin.token.slice(17), "a-long-enough-password", "long-enough-password"])
      expect(log).not.toContain(secret);
    expect(log).not.toMatch(/sbd_[A-Za-z0-9_-]{20}/);
    expect(log).not.toMatch(/signalbeam_session=/);
    expect(log).not.toMatch(/"authorization"/i);
  });
});
