import { randomUUID } from "node:crypto";
import { accessByPath, appRouter, createCaller, createContextFactory, type Context } from "@signalbeam/api";
import { TRPCError } from "@trpc/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningServer, startServer } from "../src/server";
import { restClient } from "./support/http";

/**
 * Who may call what, as one table: every procedure × every kind of caller → the expected outcome.
 * "ok" means the call got past authorization (it may still fail for its own reasons: 404, 409…).
 * Callers are resolved from real credentials, exactly as an HTTP request's would be.
 * Adding a procedure without a row here fails the first test.
 */
type Outcome = "ok" | 401 | 403;
type Caller = "anonymous" | "viewer" | "operator" | "admin" | "deviceA" | "deviceB";
const callers: Caller[] = ["anonymous", "viewer", "operator", "admin", "deviceA", "deviceB"];
type Row = Record<Caller, Outcome>;

//                         anonymous  viewer  operator  admin  deviceA  deviceB
const read: Row = { anonymous: 401, viewer: "ok", operator: "ok", admin: "ok", deviceA: 403, deviceB: 403 };
const operate: Row = { anonymous: 401, viewer: 403, operator: "ok", admin: "ok", deviceA: 403, deviceB: 403 };
const administer: Row = { anonymous: 401, viewer: 403, operator: 403, admin: "ok", deviceA: 403, deviceB: 403 };
/** Agent calls about device A: only device A's own token may make them. */
const agentA: Row = { anonymous: 401, viewer: 403, operator: 403, admin: 403, deviceA: "ok", deviceB: 403 };
const anyone: Row = { anonymous: "ok", viewer: "ok", operator: "ok", admin: "ok", deviceA: "ok", deviceB: "ok" };

interface Fixture {
  bundleId: string;
  rolloutId: string;
  groupId: string;
  deviceA: string;
  spareDevice: string;
  adminPassword: string;
  unique: () => string;
}

const table: Record<string, { expect: Row; input: (f: Fixture) => unknown }> = {
  "rollouts.create": {
    expect: operate,
    input: (f) => ({ bundleId: f.bundleId, version: "1.0.0", targetType: "device", deviceIds: [f.spareDevice] }),
  },
  "rollouts.plan": {
    expect: operate,
    input: (f) => ({ bundleId: f.bundleId, version: "1.0.0", targetType: "device", deviceIds: [f.spareDevice] }),
  },
  "rollouts.list": { expect: read, input: () => ({}) },
  "rollouts.byId": { expect: read, input: (f) => ({ rolloutId: f.rolloutId }) },
  "rollouts.devices": { expect: read, input: (f) => ({ rolloutId: f.rolloutId }) },
  "rollouts.cancel": { expect: operate, input: () => ({ rolloutId: randomUUID() }) },
  "rollouts.retry": { expect: operate, input: (f) => ({ rolloutId: f.rolloutId }) },
  "events.list": { expect: read, input: () => ({}) },
  "rollouts.history": { expect: read, input: (f) => ({ rolloutId: f.rolloutId }) },
  "rollouts.pause": { expect: operate, input: () => ({ rolloutId: randomUUID() }) },
  "rollouts.resume": { expect: operate, input: () => ({ rolloutId: randomUUID() }) },
  "rollouts.advance": { expect: operate, input: () => ({ rolloutId: randomUUID() }) },
  "rollouts.rollback": { expect: operate, input: () => ({ rolloutId: randomUUID() }) },
  "rollouts.onChange": { expect: read, input: (f) => ({ rolloutId: f.rolloutId }) },
  "devices.create": { expect: operate, input: (f) => ({ id: `authz-${f.unique()}`, name: "Authz device" }) },
  "devices.list": { expect: read, input: () => ({}) },
  "devices.byId": { expect: read, input: (f) => ({ deviceId: f.deviceA }) },
  "devices.rotateToken": { expect: operate, input: (f) => ({ deviceId: f.spareDevice }) },
  "devices.revokeToken": { expect: operate, input: (f) => ({ deviceId: f.spareDevice }) },
  "groups.create": { expect: operate, input: (f) => ({ name: `authz-${f.unique()}` }) },
  "groups.list": { expect: read, input: () => ({}) },
  "groups.setDevices": { expect: operate, input: (f) => ({ groupId: f.groupId, deviceIds: [f.spareDevice] }) },
  "bundles.create": { expect: operate, input: (f) => ({ name: `authz-${f.unique()}` }) },
  "bundles.list": { expect: read, input: () => ({}) },
  "bundles.byId": { expect: read, input: (f) => ({ bundleId: f.bundleId }) },
  "bundles.createVersion": {
    expect: operate,
    input: (f) => ({ bundleId: f.bundleId, version: `2.0.${f.unique()}`, containers: [{ name: "app", image: "x:1" }] }),
  },
  "bundles.versions": { expect: read, input: (f) => ({ bundleId: f.bundleId }) },
  "agent.desiredState": { expect: agentA, input: (f) => ({ deviceId: f.deviceA }) },
  "agent.reportStatus": {
    expect: agentA,
    input: (f) => ({ rolloutId: f.rolloutId, deviceId: f.deviceA, status: "updating" }),
  },
  "agent.heartbeat": { expect: agentA, input: (f) => ({ deviceId: f.deviceA }) },
  "fleet.summary": { expect: read, input: () => undefined },
  "auth.login": { expect: anyone, input: (f) => ({ username: "admin", password: f.adminPassword }) },
  "auth.logout": { expect: anyone, input: () => undefined },
  "auth.me": { expect: read, input: () => undefined },
  "users.create": {
    expect: administer,
    input: (f) => ({ username: `authz-${f.unique()}`, password: "a-long-enough-password", role: "viewer" }),
  },
  "users.list": { expect: administer, input: () => ({}) },
  "apiKeys.create": { expect: administer, input: (f) => ({ name: `authz-${f.unique()}` }) },
  "apiKeys.list": { expect: administer, input: () => ({}) },
  "apiKeys.revoke": { expect: administer, input: () => ({ keyId: randomUUID() }) },
  "webhooks.create": { expect: administer, input: () => ({ url: "https://example.com/hook", eventTypes: ["*"] }) },
  "webhooks.list": { expect: administer, input: () => ({}) },
  "webhooks.get": { expect: administer, input: () => ({ webhookId: randomUUID() }) },
  "webhooks.update": { expect: administer, input: () => ({ webhookId: randomUUID(), enabled: false }) },
  "webhooks.delete": { expect: administer, input: () => ({ webhookId: randomUUID() }) },
  "webhooks.rotateSecret": { expect: administer, input: () => ({ webhookId: randomUUID() }) },
  "webhooks.test": { expect: administer, input: () => ({ webhookId: randomUUID() }) },
  "webhooks.deliveries": { expect: administer, input: () => ({ webhookId: randomUUID() }) },
  "webhooks.redeliver": { expect: administer, input: () => ({ webhookId: randomUUID(), deliveryId: 1 }) },
  "notificationChannels.create": {
    expect: administer,
    input: () => ({ kind: "slack", target: "https://example.com/slack", eventTypes: ["*"] }),
  },
  "notificationChannels.list": { expect: administer, input: () => ({}) },
  "notificationChannels.get": { expect: administer, input: () => ({ channelId: randomUUID() }) },
  "notificationChannels.update": { expect: administer, input: () => ({ channelId: randomUUID(), enabled: false }) },
  "notificationChannels.delete": { expect: administer, input: () => ({ channelId: randomUUID() }) },
  "notificationChannels.test": { expect: administer, input: () => ({ channelId: randomUUID() }) },
  "notificationChannels.deliveries": { expect: administer, input: () => ({ channelId: randomUUID() }) },
  "audit.list": { expect: read, input: () => ({}) },
};

describe("authorization: every procedure × every caller", () => {
  let server: RunningServer;
  let fixture: Fixture;
  const contexts = new Map<Caller, Context>();
  const credentialOf = new Map<Caller, string | undefined>();

  beforeAll(async () => {
    server = await startServer({ dataDir: "memory://", demo: false });
    const adminKey = server.bootstrap!.generatedToken!;
    const api = restClient(server.url, adminKey);
    const created = async (response: Promise<{ status: number; body: any }>) => {
      const { status, body } = await response;
      expect(status, JSON.stringify(body)).toBeLessThan(300);
      return body;
    };
    const deviceA = await created(api.post("/devices", { id: "authz-a", name: "A" }));
    const deviceB = await created(api.post("/devices", { id: "authz-b", name: "B" }));
    await created(api.post("/devices", { id: "authz-spare", name: "Spare" }));
    const bundle = await created(api.post("/bundles", { name: "authz" }));
    await created(api.post(`/bundles/${bundle.id}/versions`, { version: "1.0.0", containers: [{ name: "app", image: "x:1" }] }));
    const rollout = await created(
      api.post("/rollouts", { bundleId: bundle.id, version: "1.0.0", targetType: "device", deviceIds: ["authz-a"] }),
    );
    const group = await created(api.post("/groups", { name: "authz" }));
    const viewerKey = (await created(api.post("/api-keys", { name: "authz viewer", role: "viewer" }))).key;
    const operatorKey = (await created(api.post("/api-keys", { name: "authz operator", role: "operator" }))).key;

    let counter = 0;
    fixture = {
      bundleId: bundle.id,
      rolloutId: rollout.rolloutId,
      groupId: group.id,
      deviceA: "authz-a",
      spareDevice: "authz-spare",
      adminPassword: server.bootstrap!.generatedPassword!,
      unique: () => String(++counter),
    };
    const createContext = createContextFactory(server.deps);
    const credentials: Record<Caller, string | undefined> = {
      anonymous: undefined,
      viewer: viewerKey,
      operator: operatorKey,
      admin: adminKey,
      deviceA: deviceA.token,
      deviceB: deviceB.token,
    };
    for (const caller of callers) {
      const token = credentials[caller];
      credentialOf.set(caller, token);
      const headers = token ? { authorization: `Bearer ${token}` } : {};
      contexts.set(caller, await createContext({ req: { headers, method: "POST" } }));
    }
  }, 60_000);
  afterAll(() => server?.close());

  it("has a row for every procedure of the router, and none for procedures that do not exist", () => {
    expect(Object.keys(table).sort()).toEqual([...accessByPath.keys()].sort());
    expect(Object.keys(table).sort()).toEqual(Object.keys(appRouter._def.procedures).sort());
  });

  const cases = Object.entries(table).flatMap(([procedure, row]) =>
    callers.map((caller) => ({ procedure, caller, expected: row.expect[caller] })),
  );

  it.each(cases)("$procedure as $caller → $expected", async ({ procedure, caller, expected }) => {
    const call = procedure.split(".").reduce<any>((node, segment) => node[segment], createCaller(contexts.get(caller)!)) as (
      input: unknown,
    ) => Promise<unknown>;
    let outcome: Outcome = "ok";
    try {
      const result = await call(table[procedure]!.input(fixture));
      // A subscription hands back its stream once authorized; close it.
      if (result && typeof (result as AsyncIterable<unknown>)[Symbol.asyncIterator] === "function")
        await (result as AsyncGenerator).return?.(undefined);
    } catch (error) {
      if (!(error instanceof TRPCError)) throw error;
      if (error.code === "UNAUTHORIZED") outcome = 401;
      else if (error.code === "FORBIDDEN") outcome = 403;
    }
    expect(outcome).toBe(expected);
  });

  /**
   * The same rows over HTTP for the procedures a fast path answers before Express (agent polls and
   * reports, rollout reads): a fast path must refuse exactly whom the procedure refuses, whatever
   * it holds in memory. A fast path added without a request here fails the first test.
   */
  const requests: Record<string, (f: Fixture) => { method: string; path: string; body?: unknown }> = {
    "agent.desiredState": (f) => ({ method: "GET", path: `/devices/${f.deviceA}/desired-state` }),
    "agent.reportStatus": (f) => ({
      method: "PUT",
      path: `/rollouts/${f.rolloutId}/status`,
      body: { deviceId: f.deviceA, status: "updating" },
    }),
    "rollouts.byId": (f) => ({ method: "GET", path: `/rollouts/${f.rolloutId}` }),
  };

  it("knows how to call every procedure a fast path answers", () => {
    expect(Object.keys(requests).sort()).toEqual([...server.fastPathProcedures].sort());
  });

  const httpCases = Object.keys(requests).flatMap((procedure) =>
    callers.map((caller) => ({ procedure, caller, expected: table[procedure]!.expect[caller] })),
  );

  it.each(httpCases)(
    "$procedure over HTTP, through its fast path, as $caller → $expected",
    async ({ procedure, caller, expected }) => {
      const request = requests[procedure]!(fixture);
      // Twice: the second call meets whatever the first left in the caches.
      for (let round = 0; round < 2; round++) {
        const response = await restClient(server.url).request(request.method, request.path, {
          body: request.body,
          token: credentialOf.get(caller) ?? null,
        });
        expect(response.status === 200 ? "ok" : response.status, JSON.stringify(response.body)).toBe(expected);
      }
    },
  );
});
