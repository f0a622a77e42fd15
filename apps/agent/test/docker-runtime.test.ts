import type Docker from "dockerode";
import http from "node:http";
import pino from "pino";
import { afterAll, describe, expect, it } from "vitest";
import { executePlan, UpdateFailedError } from "../src/reconcile/executor";
import { desiredContainers } from "../src/reconcile/labels";
import { planUpdate } from "../src/reconcile/plan";
import type { ContainerSpec, DesiredState } from "../src/reconcile/types";
import { DockerRuntime } from "../src/runtime/dockerRuntime";
import { engine, removeTestContainers, TEST_IMAGES, testLabels } from "./support/engine";

/** The executor and the dockerode runtime against a real engine (podman's Docker API). */
describe.runIf(engine)("DockerRuntime + executor on a real engine", () => {
  // Collected even when the suite is skipped for want of an engine: nothing may use it before a test runs.
  const docker = engine?.docker as Docker;
  const runtime = new DockerRuntime(docker, 2);
  const device = `rt-${process.pid}`;
  const log = pino({ level: "silent" });

  afterAll(() => removeTestContainers(docker, [device], "runtime"));

  const state = (version: string, containers: ContainerSpec[]): DesiredState => ({
    deviceId: device,
    rolloutId: null,
    bundleId: "00000000-0000-4000-8000-000000000001",
    version,
    containers,
    attempt: null,
  });

  async function reconcile(desired: DesiredState) {
    const wanted = desiredContainers(desired);
    const present = new Set<string>();
    for (const container of wanted) if (await runtime.hasImage(container.spec.image)) present.add(container.spec.image);
    const steps = planUpdate({
      current: await runtime.listManaged(device),
      desired: wanted,
      presentImages: present,
      reportTo: false,
    });
    await executePlan(steps, {
      runtime,
      report: async () => "acknowledged",
      sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
      now: Date.now,
      log,
      settleMs: 1_000,
      startTimeoutMs: 20_000,
    });
  }

  const running = async () =>
    (await runtime.listManaged(device))
      .filter((container) => container.running)
      .map((container) => `${container.specName}@${container.version}`);

  it("deploys, upgrades by replacing the container, and keeps an unmanaged neighbour untouched", async () => {
    const neighbour = await docker.createContainer({
      Image: TEST_IMAGES.v1,
      name: `unmanaged-${process.pid}`,
      Labels: testLabels("runtime"),
      HostConfig: { Init: true },
    });
    await neighbour.start();

    await reconcile(state("1.0.0", [{ name: "app", image: TEST_IMAGES.v1, env: { GREETING: "hello" } }]));
    expect(await running()).toEqual(["app@1.0.0"]);
    const [first] = await runtime.listManaged(device);
    const inspected = await docker.getContainer(first!.id).inspect();
    expect(inspected.Config.Env).toContain("GREETING=hello");
    expect(inspected.Config.Labels["io.signalbeam.managed"]).toBe("true");

    await reconcile(state("2.0.0", [{ name: "app", image: TEST_IMAGES.v2 }]));
    const after = await runtime.listManaged(device);
    expect(after.map((container) => `${container.specName}@${container.version}:${container.running}`)).toEqual([
      "app@2.0.0:true",
    ]);
    expect(after[0]!.id).not.toBe(first!.id);

    expect((await neighbour.inspect()).State.Running).toBe(true);
    await neighbour.remove({ force: true });
  });

  it("fails a missing image with a message naming it and leaves the old version running", async () => {
    const before = await running();
    const error = await reconcile(state("3.0.0", [{ name: "app", image: TEST_IMAGES.missing }])).catch(
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(UpdateFailedError);
    expect((error as Error).message).toMatch(new RegExp(`^image pull failed: ${TEST_IMAGES.missing}`));
    expect(await running()).toEqual(before);
  });

  it("reports a crashing container with its exit code and rolls back", async () => {
    const before = await running();
    const error = await reconcile(
      state("4.0.0", [{ name: "app", image: TEST_IMAGES.v2, command: ["/bin/sh", "-c", "exit 1"] }]),
    ).catch((caught: unknown) => caught);
    expect((error as Error).message).toBe("container app exited with code 1");
    expect(await running()).toEqual(before);
    expect((await runtime.listManaged(device)).length).toBe(before.length); // the failed container is gone
  });

  it("frees a host port by stopping the old container first, and restores it when the new one fails", async () => {
    const ports = [{ containerPort: 8080, hostPort: 18080 + (process.pid % 1000) }];
    await reconcile(state("5.0.0", [{ name: "web", image: TEST_IMAGES.v1, ports }]));
    expect(await running()).toEqual(["web@5.0.0"]);
    const error = await reconcile(
      state("6.0.0", [{ name: "web", image: TEST_IMAGES.v2, ports, command: ["/bin/sh", "-c", "exit 3"] }]),
    ).catch((caught: unknown) => caught);
    expect((error as Error).message).toBe("container web exited with code 3");
    expect(await running()).toEqual(["web@5.0.0"]);
    await reconcile(state("6.0.1", [{ name: "web", image: TEST_IMAGES.v2, ports }]));
    expect(await running()).toEqual(["web@6.0.1"]);
  });

  /**
   * Docker runs healthchecks itself; podman schedules them with systemd timers, which these
   * machines lack. While waiting, the test plays the timer's part through podman's own API
   * (GET /libpod/containers/{id}/healthcheck runs the image's check once).
   */
  function runHealthchecksWhileWaiting(): () => void {
    const timer = setInterval(async () => {
      for (const container of await runtime.listManaged(device).catch(() => []))
        await new Promise<void>((resolve) => {
          const request = http.request(
            { socketPath: engine!.socketPath, path: `/v4.0.0/libpod/containers/${container.id}/healthcheck`, method: "GET" },
            (response) => response.resume().on("end", resolve),
          );
          request.on("error", () => resolve());
          request.end();
        });
    }, 400);
    return () => clearInterval(timer);
  }

  it("waits for an image's healthcheck before counting it started", async () => {
    const stop = runHealthchecksWhileWaiting();
    try {
      const started = Date.now();
      await reconcile(state("7.0.0", [{ name: "svc", image: TEST_IMAGES.healthy }]));
      const [svc] = await runtime.listManaged(device);
      expect((await runtime.status(svc!.id)).health).toBe("healthy");
      expect(Date.now() - started).toBeGreaterThanOrEqual(1_000); // it touches /tmp/ready after 1 s
    } finally {
      stop();
    }
  });

  it("fails an update whose container turns unhealthy, keeping the healthy one", async () => {
    const stop = runHealthchecksWhileWaiting();
    try {
      const error = await reconcile(
        state("7.1.0", [{ name: "svc", image: TEST_IMAGES.healthy, command: ["sleep", "1000000"] }]),
      ).catch((caught: unknown) => caught);
      expect((error as Error).message).toBe("container svc is unhealthy");
      expect(await running()).toEqual(["svc@7.0.0"]);
    } finally {
      stop();
    }
  });
});
