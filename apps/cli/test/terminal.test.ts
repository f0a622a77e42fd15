import { execFile, execFileSync, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { promisify } from "node:util";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { type RunningServer, startServer } from "@signalbeam/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const run = promisify(execFile);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
const ADMIN_TOKEN = "sbk_7e4a00000001_cli-terminal-admin-key-01";
const tmux = spawnSync("tmux", ["-V"]).status === 0;
if (!tmux && process.env.SIGNALBEAM_REQUIRE_TERMINAL === "1")
  throw new Error("the terminal suite needs tmux (SIGNALBEAM_REQUIRE_TERMINAL=1): apt-get install tmux");
if (!tmux) console.warn("\n⚠ Skipping the command line's terminal suite: tmux is not installed (apt-get install tmux)\n");

/**
 * `signalbeam rollouts watch` in a real pseudo-terminal (tmux): progress bars drawn in place, a
 * report shows up live, and Ctrl-C stops watching with exit 130 and the rollout left running.
 * Also the bundle: `node apps/cli/dist/signalbeam.mjs`, one file, as it is shipped.
 */
describe.runIf(tmux)("signalbeam in a terminal", () => {
  let server: RunningServer;
  const session = `signalbeam-cli-${process.pid}`;
  const api = async (method: string, url: string, body?: unknown, token = ADMIN_TOKEN) => {
    const response = await fetch(`${server.url}/api${url}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!response.ok) throw new Error(`${method} ${url}: ${response.status} ${await response.text()}`);
    return response.json() as Promise<any>;
  };
  // tmux is driven asynchronously throughout: the server the pane's command talks to runs in this process.
  const tmuxCommand = (...args: string[]) => run("tmux", args).then((result) => result.stdout);
  const screen = () => tmuxCommand("capture-pane", "-p", "-t", session);
  const until = async (what: string, done: (text: string) => boolean, timeoutMs = 15_000) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const text = await screen();
      if (done(text)) return text;
      if (Date.now() > deadline) throw new Error(`the terminal never showed ${what}:\n${text}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  };

  beforeAll(async () => {
    server = await startServer({ dataDir: "memory://", demo: false, admin: { token: ADMIN_TOKEN } });
  }, 60_000);
  afterAll(async () => {
    spawnSync("tmux", ["kill-session", "-t", session]);
    await server?.close();
  });

  it("draws live progress bars, and Ctrl-C stops watching with exit 130 while the rollout carries on", async () => {
    const tokens = new Map<string, string>();
    for (const id of ["tty-1", "tty-2", "tty-3", "tty-4"])
      tokens.set(id, (await api("POST", "/devices", { id, name: id })).token);
    const bundle = await api("POST", "/bundles", { name: "Terminal Bundle" });
    await api("POST", `/bundles/${bundle.id}/versions`, {
      version: "1.0.0",
      containers: [{ name: "app", image: "local/app:1" }],
    });
    const rollout = await api("POST", "/rollouts", {
      bundleId: bundle.id,
      version: "1.0.0",
      targetType: "device",
      deviceIds: [...tokens.keys()],
      policy: { waves: [{ count: 2 }, { percent: 100 }], advance: "manual" },
    });
    const command = [
      `cd ${root}`,
      `SIGNALBEAM_URL=${server.url} SIGNALBEAM_API_KEY=${ADMIN_TOKEN} SIGNALBEAM_CONFIG_DIR=/nonexistent TERM=xterm-256color node --import tsx apps/cli/src/main.ts rollouts watch ${rollout.rolloutId}`,
      `echo EXIT=$?`,
      `sleep 60`,
    ].join("; ");
    // stdio ignored: the tmux server this may start keeps whatever it inherits open, and a pipe would never end.
    execFileSync("tmux", ["new-session", "-d", "-s", session, "-x", "160", "-y", "30", command], { stdio: "ignore" });
    await until("the bars", (text) => text.includes("overall") && text.includes("wave 1") && text.includes("wave 2"));

    const released = (await api("GET", `/rollouts/${rollout.rolloutId}/devices?status=pending`)).devices as {
      deviceId: string;
    }[];
    for (const { deviceId } of released)
      for (const status of ["updating", "succeeded"])
        await api("PUT", `/rollouts/${rollout.rolloutId}/status`, { deviceId, status }, tokens.get(deviceId));
    const live = await until("the two reports", (text) => /overall .* 2\/4/.test(text) && text.includes("waiting for approval"));
    // Drawn in place: one overall line, not a line per update.
    expect(live.match(/overall/g)).toHaveLength(1);

    await tmuxCommand("send-keys", "-t", session, "C-c");
    const after = await until("the exit", (text) => text.includes("EXIT="));
    expect(after).toContain("stopped watching");
    expect(after).toContain("EXIT=130");
    expect((await api("GET", `/rollouts/${rollout.rolloutId}?targets=summary`)).status).toBe("in_progress");
  }, 60_000);

  it("runs as one bundled file", async () => {
    const bundle = path.join(root, "apps/cli/dist/signalbeam.mjs");
    // `npm test` builds every workspace first (turbo run build), this bundle among them.
    expect(existsSync(bundle), `${bundle} is missing: npm run build`).toBe(true);
    // Asynchronously: the server answering it runs in this process, whose event loop must stay free.
    const result = await run(process.execPath, [bundle, "whoami", "--json"], {
      env: {
        PATH: process.env.PATH,
        SIGNALBEAM_URL: server.url,
        SIGNALBEAM_API_KEY: ADMIN_TOKEN,
        SIGNALBEAM_CONFIG_DIR: "/nonexistent",
      },
    });
    expect(JSON.parse(result.stdout)).toMatchObject({ url: server.url, user: { username: "admin" } });
    const version = spawnSync(process.execPath, [bundle, "--version"], { encoding: "utf8" });
    expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  }, 60_000);
});
