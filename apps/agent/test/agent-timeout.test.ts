import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Agent } from "../src/agent";
import { createAgentApi } from "../src/api/agentApi";
import type { ContainerRuntime } from "../src/runtime/containerRuntime";
import { SimulatedRuntime } from "../src/runtime/simulatedRuntime";
import { memoryStateStore } from "../src/state/agentState";
import { startTestServer, type TestServer } from "./support/server";

/**
 * A device whose update the server timed out, and which then finishes: its late `succeeded` gets
 * 409, its heartbeat shows what it runs, and the automatic retry (attempt 2) brings it back in line
 * by confirming — without pulling or replacing anything again. The server's clock is fake.
 */
describe("the agent and a device timeout", () => {
  let test: TestServer;
  let now = Date.parse("2026-06-01T10:00:00Z");

  beforeAll(async () => {
    test = await startTestServer({ clock: () => new Date(now), controller: { tick: false } });
  }, 60_000);
  afterAll(() => test?.server.close());

  it("ends up sensibly when its update outlives the timeout", async () => {
    const bundleId = await test.bundle("timeout", { "1.0.0": [{ name: "app", image: "local/app:1" }] });
    const device = await test.device("timeout-slow");
    const runtime = new SimulatedRuntime({ failureRate: 0, timeScale: 0 });
    let pulls = 0;
    let releasePull!: () => void;
    const pulled = new Promise<void>((resolve) => (releasePull = resolve));
    const slow: ContainerRuntime = Object.assign(Object.create(runtime), {
      pull: async (reference: string) => {
        pulls++;
        await pulled;
        return runtime.pull(reference);
      },
    });
    const agent = new Agent({
      deviceId: device.id,
      api: createAgentApi({ baseUrl: test.server.url, deviceId: device.id, token: device.token, timeoutMs: 2_000 }),
      runtime: slow,
      store: memoryStateStore(),
      log: pino({ level: "silent" }),
      pollIntervalMs: 50,
      settleMs: 0,
      startTimeoutMs: 2_000,
      backoff: { baseMs: 20, capMs: 200 },
      heartbeatIntervalMs: 0,
    });
    const rolloutId = await test.rollout(bundleId, "1.0.0", [device.id], {
      deviceTimeoutSeconds: 60,
      retry: { maxAttempts: 2, backoffSeconds: 30 },
    });

    const tick = agent.tick(); // reports updating, then waits in the pull
    for (let i = 0; i < 100 && (await test.rowOf(rolloutId, device.id)).status !== "updating"; i++)
      await new Promise((resolve) => setTimeout(resolve, 20));
    now += 61_000;
    await test.server.controller.runDue();
    expect(await test.rowOf(rolloutId, device.id)).toMatchObject({
      status: "queued",
      attempt: 1,
      errorMessage: "timed out after 60 s",
    });

    releasePull();
    // Its containers are updated, but its late `succeeded` got 409: the server's verdict stands.
    expect(await tick).toEqual({ kind: "updated", version: "1.0.0" });
    expect(await test.rowOf(rolloutId, device.id)).toMatchObject({ status: "queued", errorMessage: "timed out after 60 s" });
    expect(await test.call("GET", `/devices/${device.id}`)).toMatchObject({ currentVersion: "1.0.0" });
    expect(await agent.tick()).toMatchObject({ kind: "idle" }); // waits for the retry

    now += 30_000;
    await test.server.controller.runDue();
    expect(await test.rowOf(rolloutId, device.id)).toMatchObject({ status: "pending", attempt: 2 });
    expect(await agent.tick()).toEqual({ kind: "confirmed", version: "1.0.0" });
    expect(pulls).toBe(1); // nothing pulled or replaced again
    expect(await test.rowOf(rolloutId, device.id)).toMatchObject({ status: "succeeded", attempt: 2 });
    expect(await test.call("GET", `/rollouts/${rolloutId}?targets=summary`)).toMatchObject({ status: "completed" });
  });
});
