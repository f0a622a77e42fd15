import { createHmac, timingSafeEqual } from "node:crypto";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type RunningServer, startServer } from "../src/server";
import { testDatabases } from "./support/databases";
import { createBundleWithVersions, createFleet } from "./support/fleet";
import { type RestClient, restClient } from "./support/http";
import { type Received, type Receiver, startReceiver } from "./support/receiver";

/**
 * Verifies a Standard Webhooks signature the way a receiver would, written from the specification
 * (https://github.com/standard-webhooks/standard-webhooks/blob/main/spec/standard-webhooks.md), not
 * with the library the server signs with: base64 HMAC-SHA256 over `id.timestamp.body`, keyed by the
 * base64 part of `whsec_…`, any one of the space-separated `v1,` signatures matching.
 */
function verifies(secret: string, received: Received): boolean {
  const id = String(received.headers["webhook-id"]);
  const timestamp = String(received.headers["webhook-timestamp"]);
  const key = Buffer.from(secret.slice("whsec_".length), "base64");
  const expected = createHmac("sha256", key).update(`${id}.${timestamp}.${received.body}`).digest();
  return String(received.headers["webhook-signature"])
    .split(" ")
    .some((entry) => {
      const [version, signature] = entry.split(",");
      const given = Buffer.from(signature ?? "", "base64");
      return version === "v1" && given.length === expected.length && timingSafeEqual(given, expected);
    });
}

describe.each(testDatabases)("webhooks on $name", (database) => {
  let server: RunningServer;
  let api: RestClient;
  let receiver: Receiver;
  let drop: () => Promise<void>;
  let now = Date.parse("2026-12-01T09:00:00Z");
  const clock = () => new Date(now);
  /** Moves the fake clock and lets the delivery worker send everything due. */
  const advance = async (seconds: number) => {
    now += seconds * 1000;
    await server.integrations.settled();
  };
  const patch = (path: string, body: unknown) => api.request("PATCH", path, { body });

  beforeAll(async () => {
    const created = await database.create();
    drop = created.drop;
    server = await startServer({
      databaseUrl: created.url,
      dataDir: created.dataDir,
      demo: false,
      clock,
      controller: { tick: false },
      integrations: { tick: false, timeoutMs: 1_000 },
    });
    api = restClient(server.url, server.bootstrap!.generatedToken);
  }, 60_000);
  beforeEach(async () => {
    await receiver?.close();
    receiver = await startReceiver();
  });
  afterAll(async () => {
    await receiver?.close();
    await server?.close();
    await drop?.();
  });

  let suite = 0;
  async function rollout(deviceCount = 1) {
    const name = `wh-${database.name}-${++suite}`;
    const { ids } = await createFleet(api, name, deviceCount);
    const bundleId = await createBundleWithVersions(api, name, ["1.0.0"]);
    const created = await api.post("/rollouts", { bundleId, version: "1.0.0", targetType: "device", deviceIds: ids });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    return { rolloutId: created.body.rolloutId as string, bundleName: name, ids };
  }
  async function subscribe(eventTypes: string[] = ["rollout.*"], url = `${receiver.url}/hooks`) {
    const created = await api.post("/webhooks", { url, eventTypes, description: "CI" });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    return created.body as { id: string; secret: string };
  }
  /** Leaves no other test's webhook listening. */
  async function unsubscribeAll() {
    for (const hook of (await api.get("/webhooks?pageSize=100")).body.data) await api.delete(`/webhooks/${hook.id}`);
  }
  beforeEach(unsubscribeAll);

  it("is created with a secret shown once, listed without it, changed, and deleted", async () => {
    const created = await subscribe(["rollout.*", "device.failed"]);
    expect(created.secret).toMatch(/^whsec_[A-Za-z0-9+/]{32}$/);
    expect(created).toMatchObject({
      url: `${receiver.url}/hooks`,
      eventTypes: ["rollout.*", "device.failed"],
      enabled: true,
      description: "CI",
    });
    const listed = await api.get("/webhooks");
    expect(listed.body.data).toHaveLength(1);
    expect(listed.body.data[0]).not.toHaveProperty("secret");
    expect(JSON.stringify(listed.body)).not.toContain(created.secret);
    const changed = await patch(`/webhooks/${created.id}`, { eventTypes: ["*"], enabled: false });
    expect(changed.status, JSON.stringify(changed.body)).toBe(200);
    expect(changed.body).toMatchObject({ eventTypes: ["*"], enabled: false });
    expect((await api.delete(`/webhooks/${created.id}`)).status).toBe(204);
    expect((await api.get(`/webhooks/${created.id}`)).status).toBe(404);
    const audit = await api.get(`/audit?targetType=integration&targetId=${created.id}`);
    expect(audit.body.data.map((entry: { action: string }) => entry.action).sort()).toEqual([
      "integration.created",
      "integration.deleted",
      "integration.updated",
    ]);
  });

  it.each([
    [{ url: "ftp://example.com/hook", eventTypes: ["*"] }, /^url: must use http or https, not ftp/],
    [{ url: "javascript:alert(1)", eventTypes: ["*"] }, /^url: must use http or https/],
    [{ url: "https://user:secret@example.com/hook", eventTypes: ["*"] }, /^url: must not contain credentials/],
    [{ url: "not a url", eventTypes: ["*"] }, /^url: must be an absolute http\(s\) URL/],
    [{ url: `https://example.com/${"a".repeat(2001)}`, eventTypes: ["*"] }, /^url: must be at most 2,000 characters/],
    [{ url: "https://example.com/hook", eventTypes: [] }, /^eventTypes: must name at least one/],
    [{ url: "https://example.com/hook", eventTypes: ["rollout.exploded"] }, /^eventTypes\.0: each must be an event type/],
    [{ url: "https://example.com/hook", eventTypes: Array.from({ length: 33 }, () => "*") }, /^eventTypes: at most 32 entries/],
    [{ url: "https://example.com/hook", eventTypes: ["*"], secret: "whsec_mine" }, /secret/],
  ])("refuses %j with a 400 naming the field, and creates nothing", async (body, message) => {
    const response = await api.post("/webhooks", body);
    expect(response.status, JSON.stringify(response.body)).toBe(400);
    expect(response.body.message).toMatch(message);
    expect((await api.get("/webhooks")).body.data).toHaveLength(0);
  });

  it("delivers a rollout's events signed, with the event id as webhook-id, in order", async () => {
    const hook = await subscribe(["rollout.*"]);
    const { rolloutId, bundleName } = await rollout();
    expect((await api.post(`/rollouts/${rolloutId}/cancel`)).status).toBe(204);
    await server.integrations.settled();

    const events = (await api.get(`/events?rolloutId=${rolloutId}`)).body.data as { id: number; type: string }[];
    expect(events.map((event) => event.type)).toEqual(["rollout.created", "rollout.cancelled"]);
    expect(receiver.received.map((request) => request.json.type)).toEqual(["rollout.created", "rollout.cancelled"]);
    for (const [index, request] of receiver.received.entries()) {
      expect(request.path).toBe("/hooks");
      expect(request.headers["content-type"]).toBe("application/json");
      expect(request.headers["webhook-id"]).toBe(String(events[index]!.id));
      expect(request.headers["webhook-timestamp"]).toBe(String(Math.floor(now / 1000)));
      expect(verifies(hook.secret, request)).toBe(true);
      // Not just any signature: another secret, or a changed byte, fails.
      expect(verifies("whsec_" + Buffer.alloc(24, 1).toString("base64"), request)).toBe(false);
      expect(verifies(hook.secret, { ...request, body: request.body.replace("rollout", "Rollout") })).toBe(false);
    }
    expect(receiver.received[0]!.json).toEqual({
      type: "rollout.created",
      timestamp: new Date(now).toISOString(),
      data: expect.objectContaining({
        rolloutId,
        bundleName,
        version: "1.0.0",
        devices: 1,
        actor: expect.objectContaining({ type: "api_key" }),
      }),
    });
    const log = await api.get(`/webhooks/${hook.id}/deliveries`);
    expect(log.body.data.map((entry: { eventType: string }) => entry.eventType)).toEqual([
      "rollout.cancelled",
      "rollout.created",
    ]);
    expect(log.body.data[0]).toMatchObject({
      status: "succeeded",
      attempt: 1,
      statusCode: 200,
      error: null,
      nextAttemptAt: null,
    });
    // Nothing is sent twice.
    await advance(3600);
    expect(receiver.received).toHaveLength(2);
  });

  it("picks events by type and family, and sends nothing a subscription did not ask for", async () => {
    await subscribe(["rollout.cancelled"]);
    const { rolloutId } = await rollout();
    await api.post(`/rollouts/${rolloutId}/cancel`);
    await server.integrations.settled();
    expect(receiver.received.map((request) => request.json.type)).toEqual(["rollout.cancelled"]);
  });

  it("retries a failure on a growing schedule with the same webhook-id, holding the rollout's later events back", async () => {
    const hook = await subscribe();
    receiver.answerNext({ status: 500, body: "database is down" }, { status: 502 });
    const { rolloutId } = await rollout();
    await api.post(`/rollouts/${rolloutId}/cancel`);
    await server.integrations.settled();
    expect(receiver.received.map((request) => request.json.type)).toEqual(["rollout.created"]);
    let log = (await api.get(`/webhooks/${hook.id}/deliveries`)).body.data;
    const created = log.find((entry: { eventType: string }) => entry.eventType === "rollout.created");
    expect(created).toMatchObject({ status: "pending", attempt: 1, statusCode: 500, error: "HTTP 500: database is down" });
    // 5 s ± 20 %.
    const wait = Date.parse(created.nextAttemptAt) - now;
    expect(wait).toBeGreaterThanOrEqual(4_000);
    expect(wait).toBeLessThanOrEqual(6_000);
    expect((await api.get(`/webhooks/${hook.id}`)).body.failingSince).toBe(new Date(now).toISOString());

    await advance(3); // not due yet
    expect(receiver.received).toHaveLength(1);
    await advance(4); // second attempt: 502; the next waits 30 s ± 20 %
    expect(receiver.received).toHaveLength(2);
    await advance(20);
    expect(receiver.received).toHaveLength(2);
    await advance(20); // third attempt succeeds; then the cancelled event, held back until now
    expect(receiver.received.map((request) => request.json.type)).toEqual([
      "rollout.created",
      "rollout.created",
      "rollout.created",
      "rollout.cancelled",
    ]);
    const ids = new Set(receiver.received.slice(0, 3).map((request) => request.headers["webhook-id"]));
    expect(ids.size).toBe(1);
    log = (await api.get(`/webhooks/${hook.id}/deliveries`)).body.data;
    expect(log.find((entry: { eventType: string }) => entry.eventType === "rollout.created")).toMatchObject({
      status: "succeeded",
      attempt: 3,
      statusCode: 200,
      error: null,
    });
    const health = (await api.get(`/webhooks/${hook.id}`)).body;
    expect(health).toMatchObject({ failingSince: null, lastSuccessAt: new Date(now).toISOString(), pendingDeliveries: 0 });
  });

  it("does not hold one device's failure behind another's", async () => {
    await subscribe(["device.failed"]);
    receiver.answerNext({ status: 500 });
    const name = `wh-${database.name}-${++suite}`;
    const { ids, tokens } = await createFleet(api, name, 2);
    const bundleId = await createBundleWithVersions(api, name, ["1.0.0"]);
    const rolloutId = (await api.post("/rollouts", { bundleId, version: "1.0.0", targetType: "device", deviceIds: ids })).body
      .rolloutId;
    for (const id of ids) {
      await api.put(`/rollouts/${rolloutId}/status`, { deviceId: id, status: "updating" }, tokens.get(id));
      await api.put(`/rollouts/${rolloutId}/status`, { deviceId: id, status: "failed", errorMessage: "boom" }, tokens.get(id));
    }
    await server.integrations.settled();
    // The first failure's delivery got a 500 and waits for its retry; the second went out anyway.
    expect(receiver.received.map((request) => request.json.data.deviceId)).toEqual(ids);
  });

  it("honours Retry-After on 429 and 503", async () => {
    const hook = await subscribe();
    receiver.answerNext({ status: 429, headers: { "retry-after": "120" } });
    await rollout();
    await server.integrations.settled();
    const [entry] = (await api.get(`/webhooks/${hook.id}/deliveries`)).body.data;
    expect(entry).toMatchObject({ status: "pending", statusCode: 429 });
    expect(Date.parse(entry.nextAttemptAt) - now).toBe(120_000);
    await advance(119);
    expect(receiver.received).toHaveLength(1);
    await advance(1);
    expect(receiver.received).toHaveLength(2);
  });

  it("turns a webhook off on 410 Gone, with a reason and an integration.disabled event", async () => {
    const hook = await subscribe();
    receiver.answerNext({ status: 410 });
    await rollout();
    await server.integrations.settled();
    const after = (await api.get(`/webhooks/${hook.id}`)).body;
    expect(after).toMatchObject({ enabled: false, disabledReason: "the receiver answered 410 Gone" });
    const events = (await api.get("/events?type=integration.disabled")).body.data;
    expect(events.at(-1)).toMatchObject({ data: { integrationId: hook.id, reason: "the receiver answered 410 Gone" } });
    // Off means off: the next rollout is not sent; enabling clears the reason.
    await rollout();
    await advance(60);
    expect(receiver.received).toHaveLength(1);
    const enabled = await patch(`/webhooks/${hook.id}`, { enabled: true });
    expect(enabled.body).toMatchObject({ enabled: true, disabledReason: null });
  });

  it("gives a delivery up after about three days, and turns off a webhook that never succeeded meanwhile", async () => {
    const hook = await subscribe();
    for (let index = 0; index < 20; index++) receiver.answerNext({ status: 500 });
    await rollout();
    await server.integrations.settled();
    for (let hour = 0; hour < 100 && receiver.received.length < 12; hour++) await advance(3600);
    expect(receiver.received).toHaveLength(12);
    await advance(7 * 24 * 3600);
    expect(receiver.received).toHaveLength(12);
    const [entry] = (await api.get(`/webhooks/${hook.id}/deliveries`)).body.data;
    expect(entry).toMatchObject({ status: "failed", attempt: 12, nextAttemptAt: null });
    const after = (await api.get(`/webhooks/${hook.id}`)).body;
    expect(after.enabled).toBe(false);
    expect(after.disabledReason).toMatch(/^no delivery succeeded since .*, and one failed 12 times$/);
  });

  it("records a timeout and an unreachable receiver in the log", async () => {
    const hook = await subscribe();
    receiver.answerNext("hang");
    await rollout();
    await server.integrations.settled();
    const [entry] = (await api.get(`/webhooks/${hook.id}/deliveries`)).body.data;
    expect(entry).toMatchObject({ status: "pending", statusCode: null, error: "no answer within 1 s" });
    const closed = await startReceiver();
    await closed.close(); // its port now refuses connections
    const gone = await patch(`/webhooks/${hook.id}`, { url: `${closed.url}/nothing-listens` });
    expect(gone.status).toBe(200);
    await advance(10);
    const [again] = (await api.get(`/webhooks/${hook.id}/deliveries`)).body.data;
    expect(again).toMatchObject({ status: "pending", attempt: 2, statusCode: null });
    expect(again.error).toMatch(/ECONNREFUSED/);
  });

  it("signs with both secrets for a day after a rotation", async () => {
    const hook = await subscribe();
    const rotated = await api.post(`/webhooks/${hook.id}/rotate-secret`);
    expect(rotated.status, JSON.stringify(rotated.body)).toBe(200);
    expect(rotated.body.secret).not.toBe(hook.secret);
    expect(rotated.body.previousSecretExpiresAt).toBe(new Date(now + 24 * 3600_000).toISOString());
    expect((await api.get(`/webhooks/${hook.id}`)).body.secretRotatingUntil).toBe(rotated.body.previousSecretExpiresAt);
    await rollout();
    await server.integrations.settled();
    const during = receiver.received[0]!;
    expect(String(during.headers["webhook-signature"]).split(" ")).toHaveLength(2);
    expect(verifies(hook.secret, during)).toBe(true);
    expect(verifies(rotated.body.secret, during)).toBe(true);

    now += 24 * 3600_000 + 1000;
    await rollout();
    await server.integrations.settled();
    const after = receiver.received[1]!;
    expect(String(after.headers["webhook-signature"]).split(" ")).toHaveLength(1);
    expect(verifies(hook.secret, after)).toBe(false);
    expect(verifies(rotated.body.secret, after)).toBe(true);
  });

  it("sends a test ping now, and redelivers an event with its original webhook-id", async () => {
    const hook = await subscribe();
    const ping = await api.post(`/webhooks/${hook.id}/test`);
    expect(ping.status, JSON.stringify(ping.body)).toBe(200);
    expect(ping.body).toMatchObject({
      eventType: "integration.test",
      eventId: null,
      status: "succeeded",
      statusCode: 200,
      attempt: 1,
    });
    expect(receiver.received[0]!.json).toMatchObject({ type: "integration.test", data: { integrationId: hook.id } });
    expect(receiver.received[0]!.headers["webhook-id"]).toBe(`test_${ping.body.id}`);
    expect(verifies(hook.secret, receiver.received[0]!)).toBe(true);

    await rollout();
    await server.integrations.settled();
    const sent = receiver.received[1]!;
    const [delivery] = (await api.get(`/webhooks/${hook.id}/deliveries?status=succeeded`)).body.data;
    expect(delivery.eventType).toBe("rollout.created");
    const again = await api.post(`/webhooks/${hook.id}/deliveries/${delivery.id}/redeliver`);
    expect(again.status, JSON.stringify(again.body)).toBe(200);
    await server.integrations.settled();
    expect(receiver.received).toHaveLength(3);
    expect(receiver.received[2]!.headers["webhook-id"]).toBe(sent.headers["webhook-id"]);
    expect(receiver.received[2]!.body).toBe(sent.body);
    expect((await api.get(`/webhooks/${hook.id}/deliveries?status=succeeded`)).body.data[0]).toMatchObject({
      id: delivery.id,
      attempt: 2,
    });

    expect((await api.post(`/webhooks/${hook.id}/deliveries/${ping.body.id}/redeliver`)).status).toBe(409);
    expect((await api.post(`/webhooks/${hook.id}/deliveries/999999/redeliver`)).status).toBe(404);
    await patch(`/webhooks/${hook.id}`, { enabled: false });
    const disabled = await api.post(`/webhooks/${hook.id}/deliveries/${delivery.id}/redeliver`);
    expect(disabled.status).toBe(409);
    expect(disabled.body.message).toMatch(/disabled: enable it first/);
  });

  it("keeps finished deliveries in the log for 30 days", async () => {
    const hook = await subscribe();
    await rollout();
    await server.integrations.settled();
    expect((await api.get(`/webhooks/${hook.id}/deliveries`)).body.data).toHaveLength(1);
    await advance(29 * 24 * 3600);
    expect((await api.get(`/webhooks/${hook.id}/deliveries`)).body.data).toHaveLength(1);
    await advance(2 * 24 * 3600);
    expect((await api.get(`/webhooks/${hook.id}/deliveries`)).body.data).toHaveLength(0);
  });
});
