import { type AgentApi, ApiRejectedError, ApiUnavailableError, type ReportStatus } from "./api/agentApi";
import { backoffDelay, jitteredInterval } from "./backoff";
import { decide, type RolloutOutcome } from "./reconcile/decide";
import { executePlan, type Logger, RolloutMovedOnError, UpdateFailedError } from "./reconcile/executor";
import { desiredContainers } from "./reconcile/labels";
import { planUpdate } from "./reconcile/plan";
import type { DesiredState, ManagedContainer } from "./reconcile/types";
import { type ContainerRuntime, EngineUnavailableError } from "./runtime/containerRuntime";
import { type AgentState, recordOutcome, type StateStore } from "./state/agentState";
import { AGENT_VERSION } from "./version";

export interface AgentOptions {
  deviceId: string;
  api: AgentApi;
  runtime: ContainerRuntime;
  store: StateStore;
  log: Logger;
  pollIntervalMs: number;
  backoff?: { baseMs: number; capMs: number };
  settleMs?: number;
  startTimeoutMs?: number;
  agentVersion?: string;
  /**
   * A heartbeat goes out when what the device runs changed, else at most this often (default 60 s,
   * well inside the server's 3-minute online window): a poll every few seconds need not be a write.
   */
  heartbeatIntervalMs?: number;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  now?: () => number;
  random?: () => number;
  /** Called after every tick of `run` (the fleet simulator counts outcomes with it). */
  onTick?: (result: { outcome?: TickOutcome; error?: unknown }) => void;
}

export type TickOutcome =
  | { kind: "idle"; reason: string }
  | { kind: "updated"; version: string | null }
  | { kind: "failed"; message: string }
  | { kind: "moved-on" }
  | { kind: "confirmed"; version: string | null }
  | { kind: "cleaned" };

const defaultSleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done, { once: true });
  });

/** What the device runs now, for heartbeats: the bundle/version its managed containers carry. */
function runningRelease(current: ManagedContainer[]): { bundleId: string | null; version: string | null } {
  const running = current.filter((container) => container.running);
  const first = running[0];
  if (!first || running.some((container) => container.bundleId !== first.bundleId || container.version !== first.version))
    return { bundleId: null, version: null };
  return { bundleId: first.bundleId, version: first.version };
}

/**
 * The edge agent: poll the desired state, reconcile the containers it manages, report, heartbeat.
 * One tick at a time; everything it needs (API, engine, state, clock) is injected.
 */
export class Agent {
  private state: AgentState | undefined;
  private readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  private readonly now: () => number;
  private readonly random: () => number;
  private readonly backoff: { baseMs: number; capMs: number };
  private stopSignal: AbortSignal | undefined;
  private lastHeartbeat: { at: number; release: string } | undefined;

  constructor(private readonly options: AgentOptions) {
    this.sleep = options.sleep ?? defaultSleep;
    this.now = options.now ?? Date.now;
    this.random = options.random ?? Math.random;
    this.backoff = options.backoff ?? { baseMs: 1_000, capMs: 60_000 };
  }

  private get log() {
    return this.options.log;
  }

  private async loadState(): Promise<AgentState> {
    if (!this.state) {
      this.state = await this.options.store.load();
      if (this.state.inFlight)
        this.log.warn({ inFlight: this.state.inFlight }, "resuming an update that was interrupted by a restart");
    }
    return this.state;
  }

  private async saveState(next: AgentState): Promise<void> {
    this.state = next;
    await this.options.store.save(next);
  }

  private async remember(outcome: RolloutOutcome): Promise<void> {
    await this.saveState(recordOutcome(await this.loadState(), outcome));
  }

  /**
   * Sends one report until the server acknowledges it, riding out outages with backoff; repeats are
   * safe because the server treats them as idempotent. A 409 (or a refusal) means it moved on.
   */
  private async reportUntilAcknowledged(
    desired: DesiredState,
    status: ReportStatus,
    errorMessage?: string,
  ): Promise<"acknowledged" | "conflict"> {
    const rolloutId = desired.rolloutId!;
    const attempt = desired.attempt ?? 1;
    for (let failures = 0; ; failures++) {
      try {
        const outcome = await this.options.api.report(rolloutId, status, errorMessage);
        if (outcome.kind === "acknowledged") {
          if (status !== "updating") await this.remember({ rolloutId, attempt, status });
          return "acknowledged";
        }
        this.log.warn({ rolloutId, status, currentStatus: outcome.currentStatus }, `server moved on: ${outcome.message}`);
        await this.remember({ rolloutId, attempt, status: outcome.currentStatus === "succeeded" ? "succeeded" : "conflict" });
        return "conflict";
      } catch (error) {
        if (error instanceof ApiRejectedError) {
          this.log.error({ rolloutId, status, err: error }, "server refused the report");
          await this.remember({ rolloutId, attempt, status: "conflict" });
          return "conflict";
        }
        if (!(error instanceof ApiUnavailableError) || this.stopSignal?.aborted) throw error;
        const delay = backoffDelay(failures, this.backoff.baseMs, this.backoff.capMs, this.random);
        this.log.warn({ rolloutId, status, retryInMs: delay, err: error.message }, "report not delivered; retrying");
        await this.sleep(delay, this.stopSignal);
      }
    }
  }

  private async presentImages(images: string[]): Promise<Set<string>> {
    const present = new Set<string>();
    for (const image of new Set(images)) if (await this.options.runtime.hasImage(image)) present.add(image);
    return present;
  }

  /** One poll and whatever it leads to. Throws on API or engine outages (the loop backs off). */
  async tick(): Promise<TickOutcome> {
    const { api, runtime, deviceId } = this.options;
    const state = await this.loadState();
    const desired = await api.desiredState();
    const current = await runtime.listManaged(deviceId);
    const wanted = desiredContainers(desired);
    const decision = decide(desired, wanted, current, state.outcomes);
    let outcome: TickOutcome;

    const executorDeps = {
      runtime,
      sleep: (ms: number) => this.sleep(ms),
      now: this.now,
      log: this.log,
      settleMs: this.options.settleMs ?? 2_000,
      startTimeoutMs: this.options.startTimeoutMs ?? 60_000,
    };

    switch (decision.kind) {
      case "idle":
        if (state.inFlight) await this.saveState({ ...state, inFlight: null });
        outcome = { kind: "idle", reason: decision.reason };
        break;

      case "cleanup":
        await executePlan(planUpdate({ current, desired: wanted, presentImages: new Set(), reportTo: false }), {
          ...executorDeps,
          report: async () => "acknowledged",
        });
        outcome = { kind: "cleaned" };
        break;

      case "confirm": {
        // Already running the desired release (e.g. the agent restarted after replacing containers
        // but before its report got through): tell the server, tidy up.
        const moved = (await this.reportUntilAcknowledged(desired, "updating")) === "conflict";
        if (!moved) {
          await executePlan(planUpdate({ current, desired: wanted, presentImages: new Set(), reportTo: false }), {
            ...executorDeps,
            report: async () => "acknowledged",
          });
          await this.reportUntilAcknowledged(desired, "succeeded");
        }
        await this.saveState({ ...(await this.loadState()), inFlight: null });
        outcome = moved ? { kind: "moved-on" } : { kind: "confirmed", version: desired.version };
        break;
      }

      case "apply":
        outcome = await this.apply(desired, wanted, current, decision.report, executorDeps);
        break;
    }

    await this.sendHeartbeat(outcome.kind === "idle" ? current : await runtime.listManaged(deviceId));
    return outcome;
  }

  private async apply(
    desired: DesiredState,
    wanted: ReturnType<typeof desiredContainers>,
    current: ManagedContainer[],
    report: boolean,
    executorDeps: Omit<Parameters<typeof executePlan>[1], "report">,
  ): Promise<TickOutcome> {
    const state = await this.loadState();
    const previouslyStopped = state.inFlight?.stoppedContainers ?? [];
    const steps = planUpdate({
      current,
      desired: wanted,
      presentImages: await this.presentImages(wanted.map((container) => container.spec.image)),
      reportTo: report,
    });
    this.log.info(
      { rolloutId: desired.rolloutId, version: desired.version, steps: steps.map((step) => step.kind) },
      `updating to ${desired.version}`,
    );
    const inFlight = {
      rolloutId: desired.rolloutId,
      attempt: desired.attempt,
      version: desired.version,
      stoppedContainers: previouslyStopped,
    };
    await this.saveState({ ...state, inFlight });

    try {
      await executePlan(steps, {
        ...executorDeps,
        previouslyStopped,
        onStopped: async (stoppedContainers) =>
          this.saveState({ ...(await this.loadState()), inFlight: { ...inFlight, stoppedContainers } }),
        report: (status) => this.reportUntilAcknowledged(desired, status),
      });
      await this.saveState({ ...(await this.loadState()), inFlight: null });
      this.log.info({ rolloutId: desired.rolloutId, version: desired.version }, `now running ${desired.version}`);
      return { kind: "updated", version: desired.version };
    } catch (error) {
      if (error instanceof EngineUnavailableError) throw error; // keep inFlight; retried after backoff
      if (error instanceof RolloutMovedOnError) {
        await this.saveState({ ...(await this.loadState()), inFlight: null });
        return { kind: "moved-on" };
      }
      if (!(error instanceof UpdateFailedError)) throw error;
      this.log.error(
        { rolloutId: desired.rolloutId, version: desired.version, reason: error.message },
        "update failed; previous containers restored",
      );
      if (report) await this.reportUntilAcknowledged(desired, "failed", error.message);
      await this.saveState({ ...(await this.loadState()), inFlight: null });
      return { kind: "failed", message: error.message };
    }
  }

  private async sendHeartbeat(current: ManagedContainer[]): Promise<void> {
    const running = runningRelease(current);
    const release = JSON.stringify(running);
    const due =
      this.lastHeartbeat === undefined || this.now() - this.lastHeartbeat.at >= (this.options.heartbeatIntervalMs ?? 60_000);
    if (!due && this.lastHeartbeat?.release === release) return;
    try {
      await this.options.api.heartbeat({ ...running, agentVersion: this.options.agentVersion ?? AGENT_VERSION });
      this.lastHeartbeat = { at: this.now(), release };
    } catch (error) {
      this.log.warn({ err: error instanceof Error ? error.message : String(error) }, "heartbeat not delivered");
    }
  }

  /** Polls until `signal` aborts: the poll interval (jittered) after success, backoff after failure. */
  async run(signal: AbortSignal): Promise<void> {
    this.stopSignal = signal;
    let failures = 0;
    while (!signal.aborted) {
      let delay: number;
      try {
        const outcome = await this.tick();
        this.options.onTick?.({ outcome });
        if (outcome.kind !== "idle") this.log.info({ outcome }, "reconciled");
        failures = 0;
        delay = jitteredInterval(this.options.pollIntervalMs, this.random);
      } catch (error) {
        this.options.onTick?.({ error });
        delay = backoffDelay(failures++, this.backoff.baseMs, this.backoff.capMs, this.random);
        const message = error instanceof Error ? error.message : String(error);
        const level = error instanceof ApiUnavailableError || error instanceof EngineUnavailableError ? "warn" : "error";
        this.log[level]({ err: message, retryInMs: delay }, "poll failed; backing off");
      }
      await this.sleep(delay, signal);
    }
  }
}
