import { type ChildProcess, spawn } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { freePort, type LoadBalancer, startLoadBalancer } from "./loadBalancer";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../../..");
export const REPLICA_ADMIN_TOKEN = "sbk_5ca1e0000001_replica-set-admin-key-01";
export const REPLICA_ADMIN_PASSWORD = "replica-set-admin-password";

/** One server replica: the real `main`, in a process of its own that a test can kill and start again. */
export interface Replica {
  name: string;
  port: number;
  /** Straight to this replica, past the load balancer. */
  url: string;
  pid(): number | undefined;
  running(): boolean;
  /** Ends the process with `signal` (SIGKILL: no goodbye to PostgreSQL or the balancer). */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Starts it again on the same port (after `kill`). */
  start(): Promise<void>;
}

export interface ReplicaSet {
  /** Through the load balancer. */
  url: string;
  replicas: Replica[];
  balancer: LoadBalancer;
  adminToken: string;
  adminPassword: string;
  close(): Promise<void>;
}

async function waitHealthy(url: string, child: ChildProcess, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`server at ${url} exited with code ${child.exitCode}`);
    const ok = await fetch(`${url}/healthz`).then(
      (response) => response.ok,
      () => false,
    );
    if (ok) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`server at ${url} did not become healthy`);
}

function replica(name: string, port: number, env: Record<string, string>): Replica {
  let child: ChildProcess | undefined;
  const url = `http://127.0.0.1:${port}`;
  const running = () => child !== undefined && child.exitCode === null && child.signalCode === null;
  return {
    name,
    port,
    url,
    pid: () => (running() ? child!.pid : undefined),
    running,
    async start() {
      child = spawn(process.execPath, ["--import", "tsx", path.join(root, "apps/server/src/main.ts")], {
        cwd: root,
        env: { ...process.env, PORT: String(port), HOST: "127.0.0.1", LOG_LEVEL: "warn", ...env },
        stdio: ["ignore", "ignore", "inherit"],
      });
      await waitHealthy(url, child);
    },
    async kill(signal = "SIGTERM") {
      if (!running()) return;
      const exited = new Promise((resolve) => child!.once("exit", resolve));
      child!.kill(signal);
      await exited;
    },
  };
}

/**
 * `count` server processes on one PostgreSQL database behind HAProxy, as an operator scales out:
 * same settings, no stickiness. The first replica starts alone (it migrates the empty database,
 * loads the demo fleet if asked and creates the admin), the rest then start together.
 */
export async function startReplicaSet(options: {
  databaseUrl: string;
  count?: number;
  demo?: boolean;
  /** More settings for every replica. */
  env?: Record<string, string>;
}): Promise<ReplicaSet> {
  const env = {
    DATABASE_URL: options.databaseUrl,
    SIGNALBEAM_DEMO: options.demo ? "on" : "off",
    SIGNALBEAM_ADMIN_TOKEN: REPLICA_ADMIN_TOKEN,
    SIGNALBEAM_ADMIN_PASSWORD: REPLICA_ADMIN_PASSWORD,
    // Behind the balancer the client's address is in X-Forwarded-For, set by HAProxy on loopback.
    SIGNALBEAM_TRUST_PROXY: "loopback",
    ...options.env,
  };
  const replicas: Replica[] = [];
  for (let index = 0; index < (options.count ?? 3); index++) replicas.push(replica(`r${index + 1}`, await freePort(), env));
  let balancer: LoadBalancer | undefined;
  try {
    await replicas[0]!.start();
    await Promise.all(replicas.slice(1).map((each) => each.start()));
    balancer = await startLoadBalancer({ backends: replicas });
  } catch (error) {
    await Promise.all(replicas.map((each) => each.kill("SIGKILL")));
    throw error;
  }
  return {
    url: balancer.url,
    replicas,
    balancer,
    adminToken: REPLICA_ADMIN_TOKEN,
    adminPassword: REPLICA_ADMIN_PASSWORD,
    close: async () => {
      await balancer.stop();
      await Promise.all(replicas.map((each) => each.kill("SIGTERM")));
    },
  };
}
