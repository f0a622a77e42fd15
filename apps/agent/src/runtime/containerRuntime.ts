import type { DesiredContainer, ManagedContainer } from "../reconcile/types";

export interface ContainerStatus {
  running: boolean;
  /** Set once the container has exited. */
  exitCode: number | null;
  /** The image's healthcheck verdict; null when the image defines none. */
  health: "starting" | "healthy" | "unhealthy" | null;
  /** Engine's word for it: created, running, exited… */
  state: string;
}

/** The container engine, as the executor needs it. Docker (dockerode) for real, simulated for fleets. */
export interface ContainerRuntime {
  ping(): Promise<void>;
  /** Containers this agent manages for `deviceId` (by label), running or not. */
  listManaged(deviceId: string): Promise<ManagedContainer[]>;
  hasImage(reference: string): Promise<boolean>;
  /** Rejects with a message naming the image when the pull fails. */
  pull(reference: string): Promise<void>;
  create(container: DesiredContainer): Promise<string>;
  start(idOrName: string): Promise<void>;
  stop(idOrName: string): Promise<void>;
  remove(idOrName: string): Promise<void>;
  status(idOrName: string): Promise<ContainerStatus>;
}

/** The engine itself is unreachable: not the bundle's fault, so not reported as a failed update. */
export class EngineUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "EngineUnavailableError";
  }
}
