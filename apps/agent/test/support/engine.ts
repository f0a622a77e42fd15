import { execFileSync, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import Docker from "dockerode";

/**
 * A real Docker-API engine for the agent suites: podman's API service, started (and its test
 * images built) by scripts/container-engine.sh when podman is installed. Without one, the suites
 * skip with a message locally; SIGNALBEAM_REQUIRE_CONTAINER_ENGINE=1 (CI) makes that a failure.
 */
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../../..");
const script = path.join(root, "scripts", "container-engine.sh");
const ENGINE_REQUIRED = process.env.SIGNALBEAM_REQUIRE_CONTAINER_ENGINE === "1";

export const TEST_IMAGES = {
  v1: "localhost/signalbeam/demo-app:1",
  v2: "localhost/signalbeam/demo-app:2",
  healthy: "localhost/signalbeam/healthy-app:2",
  missing: "localhost/signalbeam/demo-app:404",
} as const;

async function connect(): Promise<{ socketPath: string; docker: Docker } | { error: string }> {
  let socketPath = process.env.SIGNALBEAM_TEST_DOCKER_SOCKET;
  if (!socketPath) {
    const hasPodman = spawnSync("sh", ["-c", "command -v podman"]).status === 0;
    if (!hasPodman) return { error: "podman is not installed (bash scripts/container-engine.sh install)" };
    try {
      // Idempotent and locked: starts the service if it is not answering, builds missing images.
      socketPath = execFileSync("bash", [script, "up"], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] })
        .trim()
        .split("\n")
        .pop()!;
    } catch (error) {
      return { error: `scripts/container-engine.sh up failed: ${(error as { stderr?: string }).stderr ?? String(error)}` };
    }
  }
  if (!existsSync(socketPath)) return { error: `no engine socket at ${socketPath}` };
  const docker = new Docker({ socketPath });
  try {
    await docker.ping();
    return { socketPath, docker };
  } catch (error) {
    return { error: `engine at ${socketPath} does not answer: ${error instanceof Error ? error.message : String(error)}` };
  }
}

const connection = await connect();
if ("error" in connection && ENGINE_REQUIRED)
  throw new Error(`a container engine is required (SIGNALBEAM_REQUIRE_CONTAINER_ENGINE=1): ${connection.error}`);
if ("error" in connection) console.warn(`\n⚠ Skipping the container-engine suites: ${connection.error}\n`);

export const engine = "error" in connection ? undefined : connection;

/** Labels for a container a suite creates itself (an unmanaged neighbour): owned by that suite alone. */
export const testLabels = (suite: string) => ({ "io.signalbeam.test": `${suite}-${process.pid}` });

/** Removes the containers of the given devices' agents and those the suite labelled as its own. */
export async function removeTestContainers(docker: Docker, deviceIds: string[], suite: string) {
  const owner = testLabels(suite)["io.signalbeam.test"];
  const containers = await docker.listContainers({ all: true });
  for (const info of containers)
    if (deviceIds.includes(info.Labels?.["io.signalbeam.device"] ?? "") || info.Labels?.["io.signalbeam.test"] === owner)
      await docker
        .getContainer(info.Id)
        .remove({ force: true })
        .catch(() => {});
}
