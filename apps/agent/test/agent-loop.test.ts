import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Agent, type AgentOptions } from "../src/agent";
import { createAgentApi } from "../src/api/agentApi";
import { type ContainerRuntime, EngineUnavailableError } from "../src/runtime/containerRuntime";
import { SimulatedRuntime } from "../src/runtime/simulatedRuntime";
import { fileStateStore, memoryStateStore } from "../src/state/agentState";
import { operatorCalls, startTestServer, type TestServer } from "./support/server";

/**
 * The real agent loop against a real server, with a simulated container engine (the Docker
 * engine has its own suites): reports, retries, cancels, outages and restarts.
 */
const log = pino({ level: "silent" });
const app = (tag: string) => [{ name: "app", image: `local/app:${tag}` }];

function agentFor(
  url: string,
  device: { id: string; token: string },
  runtime: ContainerRuntime,
  extra: Partial<AgentOptions> = {},
) {
  return new Agent({
    deviceId: device.id,
    api: createAgentApi({ baseUrl: url, deviceId: device.id, token: device.token, timeoutMs: 2_000 }),
    runtime,
    store: memoryStateStore(),
    log,
    pollIntervalMs: 50,
    settleMs: 0,
    startTimeoutMs: 2_000,
    backoff: { baseMs: 20, capMs: 200 },
    ...extra,
  });
}

const instant = (failureRate = 0) => new SimulatedRuntime({ failureRate, timeScale: 0 });

describe("agent loop against a real server", () => {
  let test: TestServer;
  let bundleId: string;

  beforeAll(async () => {
    test = await startTestServer();
    bundleId = await test.bundle("loop", { "1.0.0": app("1"), "2.0.0": app("2") });
  }, 60_000);
  afterAll(() => test?.server.close());

  it("deploys, reports updating then succeeded, and heartbeats what it runs", async () => {
    const device = await test.device("loop-deploy");
    const agent = agentFor(test.server.url, device, instant());
    expect(await agent.tick()).toEqual({ kind: "idle", reason: "nothing is assigned to this device" });

    const rolloutId = await test.rollout(bundleId, "1.0.0", [device.id]);
    expect(await agent.tick()).toEqual({ kind: "updated", version: "1.0.0" });
    const row = await test.rowOf(rolloutId, device.id);
    expect(row).toMatchObject({ status: "succeeded", errorMessage: null });
    expect(row.startedAt).not.toBeNull();
    expect(await test.call("GET", `/devices/${device.id}`)).toMatchObject({
      online: true,
      currentVersion: "1.0.0",
      agentVersion: "0.1.0",
    });
    expect(await agent.tick()).toEqual({ kind: "idle", reason: "running 1.0.0" });
  });

  it("polls with If-None-Match, and heartbeats when what it runs changes or a minute has passed", async () => {
    const device = await test.device("loop-quiet");
    const api = createAgentApi({ baseUrl: test.server.url, deviceId: device.id, token: device.token });
    const calls = { heartbeats: 0, notModified: 0 };
    const counting: typeof api = {
      ...api,
      heartbeat: async (beat) => (calls.heartbeats++, api.heartbeat(beat)),
    };
    const fetchSpy: typeof fetch = async (input, init) => {
      const response = await fetch(input, init);
      if (response.status === 304) calls.notModified++;
      return response;
    };
    let clock = 1_000_000;
    const agent = agentFor(test.server.url, device, instant(), {
      api: {
        ...counting,
        desiredState: createAgentApi({ baseUrl: test.server.url, deviceId: device.id, token: device.token, fetch: fetchSpy })
          .desiredState,
      },
      now: () => clock,
    });
    await agent.tick();
    await agent.tick();
    await agent.tick();
    expect(calls).toEqual({ heartbeats: 1, notModified: 2 }); // nothing changed: one heartbeat, then cheap polls

    await test.rollout(bundleId, "1.0.0", [device.id]);
    expect(await agent.tick()).toEqual({ kind: "updated", version: "1.0.0" });
    expect(calls.heartbeats).toBe(2); // it runs something new: told at once
    await agent.tick();
    expect(calls.heartbeats).toBe(2);
    clock += 60_000;
    await agent.tick();
    expect(calls.heartbeats).toBe(3); // a minute on: still alive
  });

  it("reports a failure with its message, waits, and tries again after a manager's retry", async () => {
    const device = await test.device("loop-fail");
    const runtime = new SimulatedRuntime({ failureRate: 1, timeScale: 0 });
    const agent = agentFor(test.server.url, device, runtime);
    const rolloutId = await test.rollout(bundleId, "1.0.0", [device.id]);

    const failed = await agent.tick();
    expect(failed.kind).toBe("failed");
    const row = await test.rowOf(rolloutId, device.id);
    expect(row.status).toBe("failed");
    expect(row.errorMessage).toMatch(/^(image pull failed: local\/app:1|container app exited with code 1)/);
    expect(await runtime.listManaged()).toEqual([]); // rolled back: nothing half-installed
    expect((await agent.tick()).kind).toBe("idle"); // no retry on its own

    (runtime as unknown as { options: { failureRate: number } }).options.failureRate = 0;
    await test.call("POST", `/rollouts/${rolloutId}/retry`);
    expect(await agent.tick()).toEqual({ kind: "updated", version: "1.0.0" });
    expect(await test.rowOf(rolloutId, device.id)).toMatchObject({ status: "succeeded", attempt: 2 });
  });

  it("skips a deployment cancelled before it started", async () => {
    const device = await test.device("loop-cancel");
    const runtime = instant();
    const agent = agentFor(test.server.url, device, runtime);
    const rolloutId = await test.rollout(bundleId, "1.0.0", [device.id]);
    await test.call("POST", `/rollouts/${rolloutId}/cancel`);
    expect((await agent.tick()).kind).toBe("idle");
    expect(await runtime.listManaged()).toEqual([]);
  });

  it("treats a 409 mid-update as the server moving on, and does not loop on it", async () => {
    const device = await test.device("loop-409");
    const runtime = instant();
    let releasePull!: () => void;
    const pulled = new Promise<void>((resolve) => (releasePull = resolve));
    const blocking: ContainerRuntime = Object.assign(Object.create(runtime), {
      pull: async (reference: string) => {
        await pulled;
        return runtime.pull(reference);
      },
    });
    const agent = agentFor(test.server.url, device, blocking);
    const rolloutId = await test.rollout(bundleId, "1.0.0", [device.id]);

    const tick = agent.tick();
    for (let i = 0; i < 100 && (await test.rowOf(rolloutId, device.id)).status !== "updating"; i++)
      await new Promise((resolve) => setTimeout(resolve, 20));
    await test.call("POST", `/rollouts/${rolloutId}/cancel`);
    releasePull();
    await tick; // finishes its containers; the succeeded report gets 409

    expect(await test.rowOf(rolloutId, device.id)).toMatchObject({ status: "cancelled" });
    expect((await agent.tick()).kind).toBe("idle");
    expect((await agent.tick()).kind).toBe("idle");
  });

  it("does not report an engine outage as a failed update, and finishes once the engine is back", async () => {
    const device = await test.device("loop-engine");
    const host = instant();
    let engineUp = false;
    const flaky: ContainerRuntime = Object.assign(Object.create(host), {
      create: async (container: Parameters<ContainerRuntime["create"]>[0]) => {
        if (!engineUp) throw new EngineUnavailableError("container engine unreachable (ECONNREFUSED) during create");
        return host.create(container);
      },
    });
    const agent = agentFor(test.server.url, device, flaky);
    const rolloutId = await test.rollout(bundleId, "1.0.0", [device.id]);

    await expect(agent.tick()).rejects.toBeInstanceOf(EngineUnavailableError);
    expect(await test.rowOf(rolloutId, device.id)).toMatchObject({ status: "updating", errorMessage: null });
    engineUp = true;
    expect(await agent.tick()).toEqual({ kind: "updated", version: "1.0.0" });
    expect(await test.rowOf(rolloutId, device.id)).toMatchObject({ status: "succeeded" });
  });

  it("finishes an update interrupted by its own restart", async () => {
    const stateDir = mkdtempSync(path.join(tmpdir(), "sb-agent-state-"));
    try {
      const device = await test.device("loop-restart");
      const host = instant(); // the engine outlives the agent process
      const rolloutId = await test.rollout(bundleId, "2.0.0", [device.id]);

      // First run: the new container never becomes ready before the process "dies".
      const hanging: ContainerRuntime = Object.assign(Object.create(host), {
        status: async () => ({ running: false, exitCode: null, health: null, state: "created" }),
      });
      const first = agentFor(test.server.url, device, hanging, { store: fileStateStore(stateDir), startTimeoutMs: 60_000 });
      void first.tick().catch(() => {});
      for (let i = 0; i < 100 && (await test.rowOf(rolloutId, device.id)).status !== "updating"; i++)
        await new Promise((resolve) => setTimeout(resolve, 20));
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect((await fileStateStore(stateDir).load()).inFlight).toMatchObject({ rolloutId, version: "2.0.0" });

      // A new process with the same state directory completes it and reports.
      const second = agentFor(test.server.url, device, host, { store: fileStateStore(stateDir) });
      const outcome = await second.tick();
      expect(["updated", "confirmed"]).toContain(outcome.kind);
      expect(await test.rowOf(rolloutId, device.id)).toMatchObject({ status: "succeeded" });
      expect((await fileStateStore(stateDir).load()).inFlight).toBeNull();
    } finally {
      rmSync(stateDir, { recursive: true, force: true });
    }
  });
});

describe("agent riding out a server outage", () => {
  it("backs off while the server is down, resumes, and completes the rollout", async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), "sb-outage-"));
    let current = await startTestServer({ dataDir });
    const port = current.server.port;
    try {
      const device = await current.device("outage-1");
      const bundleId = await current.bundle("outage", { "1.0.0": app("1") });
      await current.server.close();

      const ticks: { outcome?: { kind: string }; error?: unknown }[] = [];
      const controller = new AbortController();
      const agent = agentFor(`http://localhost:${port}`, device, instant(), { onTick: (tick) => ticks.push(tick) });
      const running = agent.run(controller.signal);

      for (let i = 0; i < 100 && ticks.filter((tick) => tick.error).length < 3; i++)
        await new Promise((resolve) => setTimeout(resolve, 20));
      expect(ticks.filter((tick) => tick.error).length).toBeGreaterThanOrEqual(3); // no crash, just retries

      current = await startTestServer({ dataDir, port });
      const rolloutId = await operatorCalls(current.server.url).rollout(bundleId, "1.0.0", [device.id]);
      for (let i = 0; i < 200 && (await current.rowOf(rolloutId, device.id)).status !== "succeeded"; i++)
        await new Promise((resolve) => setTimeout(resolve, 25));
      controller.abort();
      await running;
      expect(await current.rowOf(rolloutId, device.id)).toMatchObject({ status: "succeeded" });
    } finally {
      await current.server.close().catch(() => {});
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 60_000);
});
