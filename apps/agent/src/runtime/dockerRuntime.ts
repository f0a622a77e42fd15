import Docker from "dockerode";
import { LABELS } from "../reconcile/labels";
import type { DesiredContainer, ManagedContainer } from "../reconcile/types";
import { type ContainerRuntime, type ContainerStatus, EngineUnavailableError } from "./containerRuntime";

/** Where the engine listens: `DOCKER_HOST` (unix:// or tcp://) or the local Docker socket. */
export function dockerOptions(dockerHost: string | undefined): Docker.DockerOptions {
  if (!dockerHost) return { socketPath: "/var/run/docker.sock" };
  if (dockerHost.startsWith("unix://")) return { socketPath: dockerHost.slice("unix://".length) };
  const url = new URL(dockerHost.replace(/^tcp:/, "http:"));
  return { host: url.hostname, port: Number(url.port || 2375), protocol: url.protocol === "https:" ? "https" : "http" };
}

const transportCodes = new Set(["ECONNREFUSED", "ENOENT", "ECONNRESET", "EPIPE", "ETIMEDOUT", "EHOSTUNREACH"]);

/** Connection failures become EngineUnavailable; everything else keeps the engine's message. */
function engineError(error: unknown, what: string): Error {
  const err = error as { code?: string; statusCode?: number; json?: { message?: string }; message?: string };
  if (err?.code && transportCodes.has(err.code))
    return new EngineUnavailableError(`container engine unreachable (${err.code}) during ${what}`);
  const message = err?.json?.message ?? err?.message ?? String(error);
  return new Error(`${what}: ${message.trim()}`);
}

async function engine<T>(what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw engineError(error, what);
  }
}

/** The Docker Engine API through dockerode; works against Docker and podman's compatible service. */
export class DockerRuntime implements ContainerRuntime {
  constructor(
    private readonly docker: Docker,
    /** Seconds a container gets to stop before it is killed. */
    private readonly stopTimeoutSeconds = 10,
  ) {}

  async ping(): Promise<void> {
    await engine("ping", () => this.docker.ping());
  }

  async listManaged(deviceId: string): Promise<ManagedContainer[]> {
    const containers = await engine("list containers", () =>
      this.docker.listContainers({
        all: true,
        filters: { label: [`${LABELS.managed}=true`, `${LABELS.device}=${deviceId}`] },
      }),
    );
    return containers
      .filter((info) => info.Labels?.[LABELS.device] === deviceId) // belt and braces over the filter
      .map((info) => ({
        id: info.Id,
        name: (info.Names?.[0] ?? info.Id).replace(/^\//, ""),
        specName: info.Labels[LABELS.container] ?? "",
        specHash: info.Labels[LABELS.specHash] ?? "",
        bundleId: info.Labels[LABELS.bundle] || null,
        version: info.Labels[LABELS.version] || null,
        running: info.State === "running",
        hostPorts: (info.Ports ?? []).filter((port) => port.PublicPort).map((port) => `${port.PublicPort}/${port.Type ?? "tcp"}`),
      }));
  }

  async hasImage(reference: string): Promise<boolean> {
    try {
      // Inspect rather than compare tags: podman lists local images as localhost/<name>.
      await this.docker.getImage(reference).inspect();
      return true;
    } catch (error) {
      if ((error as { statusCode?: number }).statusCode === 404) return false;
      throw engineError(error, `inspect image ${reference}`);
    }
  }

  async pull(reference: string): Promise<void> {
    const failure = (reason: string) => new Error(`image pull failed: ${reference}: ${reason}`);
    let stream: NodeJS.ReadableStream;
    try {
      stream = await this.docker.pull(reference);
    } catch (error) {
      const engineFailure = engineError(error, "pull");
      if (engineFailure instanceof EngineUnavailableError) throw engineFailure;
      throw failure(engineFailure.message.replace(/^pull: /, ""));
    }
    // A pull answers 200 even when it fails: the error is inside the progress stream.
    const events = await new Promise<{ error?: string; errorDetail?: { message?: string } }[]>((resolve, reject) =>
      this.docker.modem.followProgress(stream, (error: Error | null, output: any[]) =>
        error ? reject(error) : resolve(output ?? []),
      ),
    ).catch((error: unknown) => {
      throw failure(error instanceof Error ? error.message : String(error));
    });
    const failed = events.find((event) => event.error || event.errorDetail);
    if (failed) throw failure((failed.errorDetail?.message ?? failed.error ?? "unknown error").trim());
    if (!(await this.hasImage(reference))) throw failure("not found after pull");
  }

  async create(container: DesiredContainer): Promise<string> {
    const { spec } = container;
    const exposed: Record<string, object> = {};
    const bindings: Record<string, { HostPort: string }[]> = {};
    for (const port of spec.ports ?? []) {
      const key = `${port.containerPort}/${port.protocol ?? "tcp"}`;
      exposed[key] = {};
      if (port.hostPort !== undefined) bindings[key] = [{ HostPort: String(port.hostPort) }];
    }
    const created = await engine(`create container ${spec.name}`, () =>
      this.docker.createContainer({
        name: container.name,
        Image: spec.image,
        Cmd: spec.command,
        Env: Object.entries(spec.env ?? {}).map(([key, value]) => `${key}=${value}`),
        Labels: container.labels,
        ExposedPorts: exposed,
        StopTimeout: this.stopTimeoutSeconds,
        HostConfig: {
          PortBindings: bindings,
          RestartPolicy: { Name: spec.restartPolicy ?? "no" },
          // An init as PID 1 forwards SIGTERM, so stop is prompt even for `sleep`-like processes.
          Init: true,
        },
      }),
    );
    return created.id;
  }

  async start(idOrName: string): Promise<void> {
    await engine(`start container ${idOrName}`, async () => {
      try {
        await this.docker.getContainer(idOrName).start();
      } catch (error) {
        if ((error as { statusCode?: number }).statusCode !== 304) throw error; // already running
      }
    });
  }

  async stop(idOrName: string): Promise<void> {
    await engine(`stop container ${idOrName}`, async () => {
      try {
        await this.docker.getContainer(idOrName).stop({ t: this.stopTimeoutSeconds });
      } catch (error) {
        const status = (error as { statusCode?: number }).statusCode;
        if (status !== 304 && status !== 404) throw error; // already stopped or gone
      }
    });
  }

  async remove(idOrName: string): Promise<void> {
    await engine(`remove container ${idOrName}`, async () => {
      try {
        await this.docker.getContainer(idOrName).remove({ force: true, v: true });
      } catch (error) {
        if ((error as { statusCode?: number }).statusCode !== 404) throw error;
      }
    });
  }

  async status(idOrName: string): Promise<ContainerStatus> {
    const info = await engine(`inspect container ${idOrName}`, () => this.docker.getContainer(idOrName).inspect());
    const state = info.State;
    const health = (state as { Health?: { Status?: string } }).Health?.Status;
    return {
      running: state.Running,
      exitCode: state.Running || state.Status === "created" ? null : state.ExitCode,
      health: health === "healthy" || health === "unhealthy" || health === "starting" ? health : null,
      state: state.Status,
    };
  }
}
