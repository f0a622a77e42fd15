import type Docker from "dockerode";
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testDatabases } from "../../server/test/support/databases";
import { loadBalancerAvailable } from "../../server/test/support/loadBalancer";
import { startReplicaSet } from "../../server/test/support/replicas";
import { engine, removeTestContainers, TEST_IMAGES, testLabels } from "./support/engine";
import { operatorCalls, startTestServer } from "./support/server";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
const agentMain = path.join(root, "apps/agent/src/main.ts");

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe("agent process configuration", () => {
  it("exits 2 with one line naming each missing setting", () => {
    const result = spawnSync(process.execPath, ["--import", "tsx", agentMain], {
      cwd: root,
      encoding: "utf8",
      env: { PATH: process.env.PATH, HOME: process.env.HOME, SIGNALBEAM_API_URL: "http://localhost:5002" },
    });
    expect(result.status).toBe(2);
    expect(result.stderr.trim().split("\n")).toEqual([
      "signalbeam-agent: SIGNALBEAM_DEVICE_ID (--device-id) is required",
      "signalbeam-agent: SIGNALBEAM_DEVICE_TOKEN (--device-token) is required",
    ]);
  });
});

/** What the agent talks to: its URL, a fleet manager's calls, and a way to restart all of it. */
interface Deployment {
  url: string;
  ops: ReturnType<typeof operatorCalls>;
  /** Every server process goes away for a few seconds mid-rollout, then comes back on the same address. */
  restart(): Promise<void>;
  close(): Promise<void>;
}

const postgres = testDatabases.find((database) => database.name === "postgres");
const deployments = [
  {
    name: "one server on embedded PGlite",
    available: true,
    async start(dataDir: string): Promise<Deployment> {
      let test = await startTestServer({ dataDir });
      return {
        url: test.server.url,
        ops: operatorCalls(test.server.url),
        async restart() {
          const port = test.server.port;
          await test.server.close();
          await new Promise((resolve) => setTimeout(resolve, 3_000)); // the agent's succeeded report has nowhere to go
          test = await startTestServer({ dataDir, port });
        },
        close: () => test.server.close(),
      };
    },
  },
  {
    name: "three replicas on PostgreSQL behind HAProxy",
    available: postgres !== undefined && loadBalancerAvailable,
    async start(): Promise<Deployment> {
      const created = await postgres!.create();
      const set = await startReplicaSet({ databaseUrl: created.url!, count: 3 });
      return {
        url: set.url,
        ops: operatorCalls(set.url, set.adminToken),
        async restart() {
          // Killed without a goodbye; meanwhile the balancer has no replica to offer (503).
          await Promise.all(set.replicas.map((replica) => replica.kill("SIGKILL")));
          await new Promise((resolve) => setTimeout(resolve, 3_000));
          await Promise.all(set.replicas.map((replica) => replica.start()));
        },
        close: async () => {
          await set.close();
          await created.drop();
        },
      };
    },
  },
].filter((deployment) => deployment.available);

/** The real server, the real agent process and a real engine, end to end. */
describe.runIf(engine).each(deployments)("end to end ($name): server + agent process + container engine", (deployment) => {
  // Collected even when the suite is skipped for want of an engine: nothing may use it before a test runs.
  const docker = engine?.docker as Docker;
  const deviceId = `e2e-${process.pid}`;
  const dataDir = mkdtempSync(path.join(tmpdir(), "sb-e2e-data-"));
  const stateDir = mkdtempSync(path.join(tmpdir(), "sb-e2e-agent-"));
  let test: Deployment;
  let agent: ChildProcess;
  let agentLog = "";
  let bundleId: string;
  let unmanagedId: string;

  const managed = async () =>
    (await docker.listContainers({ all: true, filters: { label: [`io.signalbeam.device=${deviceId}`] } })).map((info) => ({
      version: info.Labels["io.signalbeam.version"],
      running: info.State === "running",
      image: info.Image,
    }));

  const statusOf = async (rolloutId: string) =>
    (await test.ops.rowOf(rolloutId, deviceId)) as { status: string; errorMessage: string | null };
  const settled = (rolloutId: string, ...statuses: string[]) =>
    waitFor(`rollout ${rolloutId} to reach ${statuses.join("/")}`, async () => {
      const row = await statusOf(rolloutId);
      return statuses.includes(row.status) ? row : undefined;
    });

  beforeAll(async () => {
    test = await deployment.start(dataDir);
    const device = await test.ops.device(deviceId);
    bundleId = await test.ops.bundle(`e2e-${process.pid}`, {
      "1.0.0": [{ name: "app", image: TEST_IMAGES.v1 }],
      "2.0.0": [{ name: "app", image: TEST_IMAGES.v2 }],
      "3.0.0": [{ name: "app", image: TEST_IMAGES.missing }],
      "4.0.0": [{ name: "app", image: TEST_IMAGES.v1, command: ["/bin/sh", "-c", "echo four; exec sleep 1000000"] }],
    });
    const unmanaged = await docker.createContainer({
      Image: TEST_IMAGES.v1,
      name: `e2e-unmanaged-${process.pid}`,
      Labels: testLabels("e2e"),
      HostConfig: { Init: true },
    });
    await unmanaged.start();
    unmanagedId = unmanaged.id;

    agent = spawn(process.execPath, ["--import", "tsx", agentMain, "--poll-interval", "1", "--settle-seconds", "1.5"], {
      cwd: root,
      env: {
        ...process.env,
        SIGNALBEAM_API_URL: test.url,
        SIGNALBEAM_DEVICE_ID: device.id,
        SIGNALBEAM_DEVICE_TOKEN: device.token,
        SIGNALBEAM_STATE_DIR: stateDir,
        DOCKER_HOST: `unix://${engine!.socketPath}`,
        LOG_LEVEL: "info",
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    agent.stdout!.on("data", (chunk) => (agentLog += chunk));
    agent.stderr!.on("data", (chunk) => (agentLog += chunk));
  }, 120_000);

  afterAll(async () => {
    agent?.kill("SIGKILL");
    await removeTestContainers(docker, [deviceId], "e2e");
    await test?.close().catch(() => {});
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(stateDir, { recursive: true, force: true });
  });

  it("deploys the first version", async () => {
    const rolloutId = await test.ops.rollout(bundleId, "1.0.0", [deviceId]);
    await settled(rolloutId, "succeeded");
    expect(await managed()).toEqual([{ version: "1.0.0", running: true, image: TEST_IMAGES.v1 }]);
    // The heartbeat follows the report at the end of the same poll.
    const device = await waitFor("a heartbeat", async () => {
      const found = await test.ops.call("GET", `/devices/${deviceId}`);
      return found.online ? found : undefined;
    });
    expect(device).toMatchObject({ online: true, currentVersion: "1.0.0", agentVersion: "0.1.0" });
  }, 60_000);

  it("upgrades by replacing the container", async () => {
    const rolloutId = await test.ops.rollout(bundleId, "2.0.0", [deviceId]);
    await settled(rolloutId, "succeeded");
    expect(await managed()).toEqual([{ version: "2.0.0", running: true, image: TEST_IMAGES.v2 }]);
  }, 60_000);

  it("fails a missing image with a message naming it while the old version keeps running", async () => {
    const rolloutId = await test.ops.rollout(bundleId, "3.0.0", [deviceId]);
    const row = await settled(rolloutId, "failed", "succeeded");
    expect(row.status).toBe("failed");
    expect(row.errorMessage).toContain(`image pull failed: ${TEST_IMAGES.missing}`);
    expect(await managed()).toEqual([{ version: "2.0.0", running: true, image: TEST_IMAGES.v2 }]);
  }, 60_000);

  it("rides out a server restart in the middle of a rollout", async () => {
    const rolloutId = await test.ops.rollout(bundleId, "4.0.0", [deviceId]);
    await settled(rolloutId, "updating");
    await test.restart();
    const row = await settled(rolloutId, "succeeded", "failed");
    expect(row.status).toBe("succeeded");
    expect(await managed()).toEqual([{ version: "4.0.0", running: true, image: TEST_IMAGES.v1 }]);
    expect(agentLog).toContain("report not delivered; retrying");
  }, 90_000);

  it("never touched the unmanaged container, and stops cleanly on SIGTERM", async () => {
    expect((await docker.getContainer(unmanagedId).inspect()).State.Running).toBe(true);
    const exited = new Promise<number | null>((resolve) => agent.once("exit", (code) => resolve(code)));
    agent.kill("SIGTERM");
    expect(await exited).toBe(0);
    // Stopping the agent leaves the workload running.
    expect(await managed()).toEqual([{ version: "4.0.0", running: true, image: TEST_IMAGES.v1 }]);
  }, 30_000);
});
