import { type ContainerRuntime, EngineUnavailableError } from "../runtime/containerRuntime";
import type { Step } from "./types";

export interface Logger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
  debug(obj: object, msg?: string): void;
}

/** The update failed; the host was put back as it was. `message` is what the manager sees. */
export class UpdateFailedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UpdateFailedError";
  }
}

/** The server answered 409 to `updating`: the rollout moved on, so nothing was changed. */
export class RolloutMovedOnError extends Error {
  constructor(readonly currentStatus: string) {
    super(`the server moved on (device is ${currentStatus} there)`);
    this.name = "RolloutMovedOnError";
  }
}

export interface ExecutorDeps {
  runtime: ContainerRuntime;
  /** Sends a report until acknowledged; `conflict` when the server answered 409. */
  report(status: "updating" | "succeeded"): Promise<"acknowledged" | "conflict">;
  /** Called whenever the set of containers stopped by this update changes, so a restart can restore them. */
  onStopped?(containerIds: string[]): Promise<void>;
  /** Containers an earlier, interrupted run stopped: restarted if this run fails. */
  previouslyStopped?: string[];
  sleep(ms: number): Promise<void>;
  now(): number;
  log: Logger;
  /** How long a container without a healthcheck must stay running to count as started. */
  settleMs: number;
  /** How long a container gets to be running (and healthy) at all. */
  startTimeoutMs: number;
}

const POLL_MS = 250;

async function awaitRunning(deps: ExecutorDeps, name: string, specName: string): Promise<void> {
  const deadline = deps.now() + deps.startTimeoutMs;
  let runningSince: number | null = null;
  for (;;) {
    const status = await deps.runtime.status(name);
    if (!status.running) {
      if (status.exitCode !== null) throw new UpdateFailedError(`container ${specName} exited with code ${status.exitCode}`);
      runningSince = null;
    } else if (status.health === "unhealthy") {
      throw new UpdateFailedError(`container ${specName} is unhealthy`);
    } else if (status.health === "healthy") {
      return;
    } else if (status.health === null) {
      runningSince ??= deps.now();
      if (deps.now() - runningSince >= deps.settleMs) return;
    }
    if (deps.now() >= deadline) {
      const wanted = status.health === "starting" ? "healthy" : "running";
      throw new UpdateFailedError(
        `container ${specName} did not become ${wanted} within ${Math.round(deps.startTimeoutMs / 1000)} s`,
      );
    }
    await deps.sleep(POLL_MS);
  }
}

/**
 * Runs a plan's steps in order. On any failure it removes what it created, restarts what it
 * stopped (this run's and an interrupted earlier run's), and throws UpdateFailedError with a
 * message a person can act on. Engine outages propagate as EngineUnavailableError (after the
 * same best-effort rollback) so the agent retries instead of reporting the bundle as failed.
 */
export async function executePlan(steps: Step[], deps: ExecutorDeps): Promise<void> {
  const created: string[] = [];
  const stopped: string[] = [...(deps.previouslyStopped ?? [])];
  let finalPhase = false;

  const rollback = async () => {
    for (const name of created.reverse())
      await deps.runtime
        .remove(name)
        .catch((error) => deps.log.warn({ err: error, name }, "rollback: could not remove new container"));
    for (const id of stopped)
      await deps.runtime
        .start(id)
        .catch((error) => deps.log.warn({ err: error, id }, "rollback: could not restart old container"));
  };

  try {
    for (const step of steps) {
      switch (step.kind) {
        case "report": {
          if (step.status === "succeeded") finalPhase = true;
          const outcome = await deps.report(step.status);
          if (outcome === "conflict" && step.status === "updating") throw new RolloutMovedOnError("no longer pending");
          break;
        }
        case "pull":
          deps.log.info({ image: step.image }, "pulling image");
          await deps.runtime.pull(step.image);
          break;
        case "stop":
          deps.log.info({ container: step.container.name, reason: step.reason }, "stopping container");
          await deps.runtime.stop(step.container.id);
          stopped.push(step.container.id);
          await deps.onStopped?.(stopped);
          break;
        case "create":
          created.push(step.container.name);
          await deps.runtime.create(step.container);
          break;
        case "start":
          await deps.runtime.start(step.name);
          break;
        case "await-running":
          await awaitRunning(deps, step.name, step.specName);
          break;
        case "remove":
          // The new containers already run: a leftover that will not go is a warning, not a failure.
          try {
            await deps.runtime.remove(step.container.id);
          } catch (error) {
            if (error instanceof EngineUnavailableError) throw error;
            deps.log.warn({ err: error, container: step.container.name }, "could not remove old container; will retry");
          }
          break;
      }
    }
  } catch (error) {
    if (error instanceof RolloutMovedOnError) throw error;
    if (finalPhase) throw error; // everything is in place; only the last report is outstanding
    await rollback();
    if (error instanceof UpdateFailedError || error instanceof EngineUnavailableError) throw error;
    throw new UpdateFailedError(error instanceof Error ? error.message : String(error));
  }
}
