import { hostPortsOf } from "../reconcile/labels";
import type { DesiredContainer, ManagedContainer } from "../reconcile/types";
import type { ContainerRuntime, ContainerStatus } from "./containerRuntime";

export interface SimulationOptions {
  /** Probability that an update fails (split between pull failures and crashing containers). */
  failureRate: number;
  /** Per bundle version, a probability that replaces `failureRate` (`--fail-version 1.3.0=0.4`). */
  failureRateByVersion?: Readonly<Record<string, number>>;
  /** Scales every simulated duration; 0 makes them instant (tests). */
  timeScale?: number;
  random?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

interface SimulatedContainer {
  id: string;
  container: DesiredContainer;
  running: boolean;
  exitCode: number | null;
}

let nextId = 1;

/**
 * An in-memory container engine for the fleet simulator: realistic random pull and start times,
 * and failures at the given rate (an image that cannot be pulled, or a container that exits).
 * One instance per simulated device. The same agent code drives it as drives Docker.
 */
export class SimulatedRuntime implements ContainerRuntime {
  private readonly containers = new Map<string, SimulatedContainer>();
  private readonly images = new Set<string>();
  private readonly random: () => number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly timeScale: number;
  private release = "";
  private failure: "none" | "pull" | "crash" = "none";

  constructor(private readonly options: SimulationOptions) {
    this.random = options.random ?? Math.random;
    this.timeScale = options.timeScale ?? 1;
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  /** Waits a random time between `minMs` and `maxMs` (scaled). */
  private async take(minMs: number, maxMs: number) {
    const ms = (minMs + this.random() * (maxMs - minMs)) * this.timeScale;
    if (ms > 0) await this.sleep(ms);
  }

  async ping(): Promise<void> {}

  async listManaged(): Promise<ManagedContainer[]> {
    return [...this.containers.values()].map(({ id, container, running }) => ({
      id,
      name: container.name,
      specName: container.spec.name,
      specHash: container.specHash,
      bundleId: container.labels["io.signalbeam.bundle"] || null,
      version: container.labels["io.signalbeam.version"] || null,
      running,
      hostPorts: running ? hostPortsOf(container.spec) : [],
    }));
  }

  async hasImage(reference: string): Promise<boolean> {
    return this.images.has(reference);
  }

  async pull(reference: string): Promise<void> {
    await this.take(500, 4_000);
    this.images.add(reference);
  }

  /**
   * The dice are rolled once per release (bundle version) the device moves to, so `failureRate`
   * is the share of device updates that fail, whatever the number of containers.
   */
  private failureFor(container: DesiredContainer): "none" | "pull" | "crash" {
    const release = `${container.labels["io.signalbeam.bundle"]}@${container.labels["io.signalbeam.version"]}`;
    if (release !== this.release) {
      this.release = release;
      const roll = this.random();
      const rate =
        this.options.failureRateByVersion?.[container.labels["io.signalbeam.version"] ?? ""] ?? this.options.failureRate;
      this.failure = roll >= rate ? "none" : roll < rate / 2 ? "pull" : "crash";
    }
    return this.failure;
  }

  async create(container: DesiredContainer): Promise<string> {
    if (!this.images.has(container.spec.image))
      throw new Error(`create container ${container.spec.name}: no such image ${container.spec.image}`);
    if (this.failureFor(container) === "pull") {
      this.release = ""; // this attempt is over; a retry rolls the dice again
      throw new Error(`image pull failed: ${container.spec.image}: connection reset by registry`);
    }
    const id = `sim-${nextId++}`;
    this.containers.set(container.name, { id, container, running: false, exitCode: null });
    return id;
  }

  private find(idOrName: string): SimulatedContainer | undefined {
    return this.containers.get(idOrName) ?? [...this.containers.values()].find((entry) => entry.id === idOrName);
  }

  async start(idOrName: string): Promise<void> {
    const entry = this.find(idOrName);
    if (!entry) throw new Error(`start container ${idOrName}: no such container`);
    await this.take(200, 1_500);
    // A crash at start, as a bad release would.
    if (this.failureFor(entry.container) === "crash") {
      entry.running = false;
      entry.exitCode = 1;
      return;
    }
    entry.running = true;
    entry.exitCode = null;
  }

  async stop(idOrName: string): Promise<void> {
    const entry = this.find(idOrName);
    if (entry) {
      entry.running = false;
      entry.exitCode = 0;
    }
  }

  async remove(idOrName: string): Promise<void> {
    const entry = this.find(idOrName);
    if (!entry) return;
    this.containers.delete(entry.container.name);
    // A rolled-back attempt is forgotten: a retry rolls the dice again.
    if (!entry.running) this.release = "";
  }

  async status(idOrName: string): Promise<ContainerStatus> {
    const entry = this.find(idOrName);
    if (!entry) throw new Error(`inspect container ${idOrName}: no such container`);
    return { running: entry.running, exitCode: entry.exitCode, health: null, state: entry.running ? "running" : "exited" };
  }
}
