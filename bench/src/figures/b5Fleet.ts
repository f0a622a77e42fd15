import { spawn } from "node:child_process";
import { operatorApi } from "../lib/api";
import { root, type ServerProcess } from "../lib/serverProcess";
import type { BenchContext, Figure } from "../types";

/**
 * B5 — end to end: the fleet simulator (the real agent code, simulated engines) with 10,000 agents
 * polling every 5 s against a freshly started server completes a rollout to all of them: wall
 * time, server CPU seconds per 1,000 device updates, and the server's peak RSS over the run.
 */
export async function endToEnd(context: BenchContext, server: ServerProcess): Promise<Figure[]> {
  const agents = context.smoke ? 200 : 10_000;
  const api = operatorApi(server.url, context.adminToken);
  const simulator = spawn(
    process.execPath,
    [
      "--import",
      "tsx",
      "apps/agent/src/fleet/main.ts",
      "--url",
      server.url,
      "--devices",
      String(agents),
      "--poll",
      "5",
      "--failure-rate",
      "0",
      "--quiet",
    ],
    {
      cwd: root,
      env: { ...process.env, SIGNALBEAM_API_KEY: context.adminToken, LOG_LEVEL: "silent" },
      stdio: ["ignore", "ignore", "inherit"],
    },
  );
  try {
    // Registration done: every simulated device exists.
    const deadline = Date.now() + 600_000;
    for (;;) {
      const page = await api.call("GET", "/devices?search=sim-&pageSize=1");
      if (page.body?.totalCount >= agents) break;
      if (simulator.exitCode !== null) throw new Error(`simulator exited with ${simulator.exitCode}`);
      if (Date.now() > deadline) throw new Error("simulated devices did not register in time");
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    const deviceIds = Array.from({ length: agents }, (_, index) => `sim-${String(index + 1).padStart(5, "0")}`);
    const before = server.stats();
    const started = performance.now();
    const created = await api.expectStatus(201, "POST", "/rollouts", {
      bundleId: context.bundleId,
      version: "1.2.0",
      targetType: "device",
      deviceIds,
    });
    let rollout = created.body;
    while (!["completed", "failed", "cancelled"].includes(rollout.status)) {
      if (performance.now() - started > 600_000) throw new Error("the rollout did not finish within 10 minutes");
      await new Promise((resolve) => setTimeout(resolve, 250));
      rollout = (await api.expectStatus(200, "GET", `/rollouts/${created.body.rolloutId}`)).body;
    }
    const wallSeconds = (performance.now() - started) / 1000;
    const after = server.stats();
    const cpuPerThousand = ((after.cpuSeconds - before.cpuSeconds) / agents) * 1_000;
    return [
      {
        id: "B5-wall",
        name: `fleet of ${agents.toLocaleString("en-US")} simulated agents, rollout wall time`,
        value: wallSeconds,
        unit: "s",
        target: "reported",
        met: true,
        correct: rollout.status === "completed",
        notes: `rollout ${rollout.status}: ${rollout.progress.succeeded} succeeded, ${rollout.progress.failed} failed (5 s polls ±10 %)`,
      },
      {
        id: "B5-cpu",
        name: "server CPU per 1,000 device updates",
        value: cpuPerThousand,
        unit: "CPU s",
        target: "reported",
        met: true,
        correct: true,
        notes: `${(after.cpuSeconds - before.cpuSeconds).toFixed(1)} CPU s over the rollout, polls included`,
      },
      {
        id: "B5-rss",
        name: "server peak RSS",
        value: after.peakRssMb,
        unit: "MB",
        target: "≤ 400 MB",
        met: after.peakRssMb <= 400,
        correct: true,
      },
    ];
  } finally {
    await new Promise<void>((resolve) => {
      if (simulator.exitCode !== null) return resolve();
      simulator.once("exit", () => resolve());
      simulator.kill("SIGTERM");
    });
  }
}
