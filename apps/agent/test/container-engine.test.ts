import { execFileSync, spawn, spawnSync } from "node:child_process";
import { Agent } from "node:http";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import Docker from "dockerode";
import { afterAll, describe, expect, it } from "vitest";
import { engine, TEST_IMAGES } from "./support/engine";

/**
 * `scripts/container-engine.sh up` must not trust a service that merely answers: one started from
 * a clone that was deleted since answers `_ping` but cannot start a container (conmon needs its
 * working directory: "write child: broken pipe"), and every agent suite of the next clone failed.
 * Here that service is made on a socket of its own (SIGNALBEAM_ENGINE_DIR), its directory
 * deleted, and `up` must replace it with one that runs containers.
 */
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
const script = path.join(root, "scripts", "container-engine.sh");

describe.runIf(engine)("scripts/container-engine.sh up", () => {
  const dir = mkdtempSync("/var/tmp/signalbeam-engine-test-");
  const socketPath = path.join(dir, "podman.sock");
  const env = { ...process.env, SIGNALBEAM_ENGINE_DIR: dir, CONTAINERS_CONF: path.join(dir, "containers.conf") };
  // No kept-alive connections (Node's default agent keeps them): one to the replaced service would break.
  const docker = () => new Docker({ socketPath, agent: new Agent({ keepAlive: false }) } as Docker.DockerOptions);

  afterAll(() => {
    for (const pidFile of ["service.pid", "stale.pid"]) {
      try {
        process.kill(Number(readFileSync(path.join(dir, pidFile), "utf8")));
      } catch {
        // already gone
      }
    }
    rmSync(dir, { recursive: true, force: true });
  });

  const runOnce = async () => {
    const container = await docker().createContainer({
      Image: TEST_IMAGES.v1,
      Cmd: ["/bin/true"],
      Labels: { "io.signalbeam.test": `engine-script-${process.pid}` },
    });
    try {
      await container.start();
    } finally {
      await container.remove({ force: true }).catch(() => {});
    }
  };

  it("replaces a service that answers but cannot run containers, and starts it where nothing can delete it", async () => {
    // The settings `up` uses, so both services share storage and runtime.
    execFileSync("bash", [script, "conf"], { env });
    const gone = mkdtempSync("/tmp/signalbeam-gone-clone-");
    const stale = spawn("podman", ["system", "service", "--time=0", `unix://${socketPath}`], {
      cwd: gone,
      env,
      detached: true,
      stdio: "ignore",
    });
    stale.unref();
    writeFileSync(path.join(dir, "stale.pid"), String(stale.pid));
    await expect
      .poll(
        () =>
          docker()
            .ping()
            .then(
              () => true,
              () => false,
            ),
        { timeout: 10_000, interval: 100 },
      )
      .toBe(true);
    rmSync(gone, { recursive: true, force: true });
    // The failure the next clone met: it answers, but cannot start anything (podman words it as a
    // broken pipe, a missing working directory, or — on some machines — a bare OCI runtime exit status).
    await expect(runOnce()).rejects.toThrow(/broken pipe|working directory|exit status/);

    const up = spawnSync("bash", [script, "up"], { env, encoding: "utf8", timeout: 60_000 });
    expect(up.status, up.stderr).toBe(0);
    expect(up.stderr).toContain("answers but cannot run containers; restarting it");
    expect(up.stdout.trim().split("\n").pop()).toBe(socketPath);
    await runOnce();
    const pid = readFileSync(path.join(dir, "service.pid"), "utf8").trim();
    expect(execFileSync("readlink", [`/proc/${pid}/cwd`], { encoding: "utf8" }).trim()).toBe(dir);

    // Asked again with a working service, `up` keeps it.
    const again = spawnSync("bash", [script, "up"], { env, encoding: "utf8", timeout: 60_000 });
    expect(again.status, again.stderr).toBe(0);
    expect(again.stderr).not.toContain("restarting");
    expect(readFileSync(path.join(dir, "service.pid"), "utf8").trim()).toBe(pid);
  });
});
