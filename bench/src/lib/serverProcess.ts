import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { readProcessStats } from "./processStats";

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
export const BENCH_ADMIN_TOKEN = "sbk_be7c4000000a_benchmark-admin-key-0001";
export const BENCH_ADMIN_PASSWORD = "benchmark-admin-password";

export interface ServerProcess {
  url: string;
  pid: number;
  stats(): ReturnType<typeof readProcessStats>;
  stop(): Promise<void>;
  /** Ends it at once with `signal` (SIGKILL: no goodbye to PostgreSQL or anyone). */
  kill(signal: NodeJS.Signals): Promise<void>;
}

async function waitHealthy(url: string, child: ChildProcess, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`server exited with code ${child.exitCode}`);
    const ok = await fetch(`${url}/healthz`).then(
      (response) => response.ok,
      () => false,
    );
    if (ok) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`server at ${url} did not become healthy`);
}

/** Extra Node flags for the server only, e.g. `BENCH_SERVER_NODE_ARGS="--cpu-prof"` to profile it under load. */
const serverNodeArguments = () => (process.env.BENCH_SERVER_NODE_ARGS ?? "").split(" ").filter(Boolean);

/** The server's production bundle, rebuilt from the sources now so a benchmark never measures stale code. */
function buildServerBundle(): string {
  execFileSync("npm", ["run", "build", "--silent", "-w", "@signalbeam/server"], { cwd: root, stdio: "inherit" });
  return path.join(root, "apps/server/dist/signalbeam-server.mjs");
}
let bundle: string | undefined;

/** The real server, as `npm start` runs it (its bundle), in its own process (so its CPU and memory are its own). */
export async function startServerProcess(options: {
  databaseUrl?: string;
  dataDir?: string;
  port: number;
  /** More server settings (e.g. SIGNALBEAM_AGENT_CACHE_WARM). */
  env?: Record<string, string>;
}): Promise<ServerProcess> {
  bundle ??= buildServerBundle();
  const child = spawn(process.execPath, [...serverNodeArguments(), "--enable-source-maps", bundle], {
    cwd: root,
    env: {
      ...process.env,
      PORT: String(options.port),
      HOST: "127.0.0.1",
      LOG_LEVEL: "warn",
      SIGNALBEAM_DEMO: "off",
      SIGNALBEAM_ADMIN_TOKEN: BENCH_ADMIN_TOKEN,
      SIGNALBEAM_ADMIN_PASSWORD: BENCH_ADMIN_PASSWORD,
      ...options.env,
      ...(options.databaseUrl ? { DATABASE_URL: options.databaseUrl } : { SIGNALBEAM_DATA_DIR: options.dataDir ?? "memory://" }),
    },
    stdio: ["ignore", "ignore", "inherit"],
  });
  const url = `http://127.0.0.1:${options.port}`;
  await waitHealthy(url, child);
  const end = (signal: NodeJS.Signals) =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once("exit", () => resolve());
      child.kill(signal);
    });
  return {
    url,
    pid: child.pid!,
    stats: () => readProcessStats(child.pid!),
    stop: () => end("SIGTERM"),
    kill: end,
  };
}
