import { describe, expect, it } from "vitest";
import type { DesiredContainer } from "../reconcile/types";
import { SimulatedRuntime } from "./simulatedRuntime";

const container = (version: string): DesiredContainer => ({
  spec: { name: "gateway", image: `signalbeam/edge-gateway:${version}` },
  name: `gateway-${version}`,
  specHash: version,
  labels: { "io.signalbeam.bundle": "b1", "io.signalbeam.version": version },
});

/** Creates and starts one version's container; what it ends up as. */
async function install(runtime: SimulatedRuntime, version: string): Promise<"running" | "crashed" | "pull failed"> {
  const wanted = container(version);
  await runtime.pull(wanted.spec.image);
  try {
    await runtime.create(wanted);
  } catch {
    return "pull failed";
  }
  await runtime.start(wanted.name);
  return (await runtime.listManaged()).find((entry) => entry.name === wanted.name)!.running ? "running" : "crashed";
}

describe("SimulatedRuntime: --fail-version", () => {
  it.each([
    // A roll of 0.3: below 2.2.0's 0.5 (and in its upper half: a crash), above everyone else's 0.
    { version: "2.2.0", outcome: "crashed" },
    { version: "2.1.0", outcome: "running" },
  ])("with a roll of 0.3, $version ends $outcome", async ({ version, outcome }) => {
    const runtime = new SimulatedRuntime({
      failureRate: 0,
      failureRateByVersion: { "2.2.0": 0.5 },
      timeScale: 0,
      random: () => 0.3,
    });
    expect(await install(runtime, version)).toBe(outcome);
  });

  it("splits a version's failures between pulls and crashes", async () => {
    const runtime = new SimulatedRuntime({
      failureRate: 0,
      failureRateByVersion: { "2.2.0": 0.5 },
      timeScale: 0,
      random: () => 0.1,
    });
    expect(await install(runtime, "2.2.0")).toBe("pull failed");
  });
});
