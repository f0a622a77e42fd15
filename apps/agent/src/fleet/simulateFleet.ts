import { Agent, type TickOutcome } from "../agent";
import { createAgentApi } from "../api/agentApi";
import type { Logger } from "../reconcile/executor";
import { SimulatedRuntime } from "../runtime/simulatedRuntime";
import { memoryStateStore } from "../state/agentState";
import type { SimulatedDevice } from "./registerDevices";

export interface FleetOptions {
  apiUrl: string;
  devices: SimulatedDevice[];
  pollIntervalMs: number;
  failureRate: number;
  /** Per bundle version, a failure probability that replaces `failureRate`. */
  failureRateByVersion?: Record<string, number>;
  /** Scales simulated pull/start durations (1 = realistic seconds). */
  timeScale: number;
  log: Logger;
}

export interface FleetStats {
  agents: number;
  ticks: number;
  updated: number;
  failed: number;
  movedOn: number;
  apiErrors: number;
}

/**
 * Many agents in one process: the real Agent class and its HTTP client, each with a simulated
 * container engine. First polls are spread over one interval so the fleet does not stampede.
 */
export function startFleet(options: FleetOptions, signal: AbortSignal) {
  const stats: FleetStats = { agents: options.devices.length, ticks: 0, updated: 0, failed: 0, movedOn: 0, apiErrors: 0 };
  const count = (outcome: TickOutcome) => {
    if (outcome.kind === "updated" || outcome.kind === "confirmed") stats.updated++;
    else if (outcome.kind === "failed") stats.failed++;
    else if (outcome.kind === "moved-on") stats.movedOn++;
  };

  const runs = options.devices.map(async (device) => {
    const agent = new Agent({
      deviceId: device.id,
      api: createAgentApi({ baseUrl: options.apiUrl, deviceId: device.id, token: device.token }),
      runtime: new SimulatedRuntime({
        failureRate: options.failureRate,
        timeScale: options.timeScale,
        ...(options.failureRateByVersion ? { failureRateByVersion: options.failureRateByVersion } : {}),
      }),
      store: memoryStateStore(),
      log: options.log,
      pollIntervalMs: options.pollIntervalMs,
      settleMs: 500 * options.timeScale,
      startTimeoutMs: 30_000,
      backoff: { baseMs: 1_000, capMs: 30_000 },
      onTick: ({ outcome, error }) => {
        stats.ticks++;
        if (outcome) count(outcome);
        if (error) stats.apiErrors++;
      },
    });
    await new Promise((resolve) => setTimeout(resolve, Math.random() * options.pollIntervalMs));
    if (!signal.aborted) await agent.run(signal);
  });

  return { stats, done: Promise.all(runs).then(() => undefined) };
}
