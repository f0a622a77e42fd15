import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";

/**
 * A real load balancer in front of server replicas: Debian's HAProxy (installed by `.ci/run`),
 * started with a generated configuration on loopback ports. Requests are balanced one by one
 * (round robin, no stickiness), a replica that fails its /healthz check leaves the rotation, and a
 * request whose connection is refused is tried on another replica. Every answer names the
 * replica that gave it (`x-signalbeam-replica`), so tests can prove requests were spread.
 *
 * Without HAProxy the suites that need it skip with a message; SIGNALBEAM_REQUIRE_LOAD_BALANCER=1
 * (set by CI) makes that a failure.
 */
const CANDIDATES = ["/usr/sbin/haproxy", "/usr/local/sbin/haproxy", "/usr/bin/haproxy"];
export const HAPROXY = CANDIDATES.find((candidate) => existsSync(candidate));
const REQUIRED = process.env.SIGNALBEAM_REQUIRE_LOAD_BALANCER === "1";

if (!HAPROXY && REQUIRED)
  throw new Error(`HAProxy is required (SIGNALBEAM_REQUIRE_LOAD_BALANCER=1) but none of ${CANDIDATES.join(", ")} exists`);
if (!HAPROXY)
  console.warn("\n⚠ Skipping the load-balanced suites: HAProxy is not installed (apt-get install haproxy, or run .ci/run).\n");

export const loadBalancerAvailable = HAPROXY !== undefined;

export interface Backend {
  name: string;
  port: number;
}

export interface LoadBalancer {
  url: string;
  port: number;
  /** A second front end answering every request with a fixed body, without any replica (benchmarks' ceiling). */
  staticUrl: string | undefined;
  pid: number;
  stop(): Promise<void>;
}

/** A port nobody listens on now (the kernel's pick, released at once). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export function haproxyConfig(options: { port: number; backends: Backend[]; staticPort?: number; staticFile?: string }): string {
  return [
    "global",
    "  maxconn 9000", // two descriptors a connection: within the 20,000 a process may open here
    "defaults",
    "  mode http",
    "  timeout connect 2s",
    // Agents keep connections open between polls, and live views stream for as long as a page is open.
    "  timeout client 75s",
    "  timeout server 75s",
    "  timeout http-keep-alive 75s",
    "  timeout tunnel 1h",
    "  option forwardfor",
    "  option redispatch",
    "  retries 2",
    "frontend signalbeam",
    `  bind 127.0.0.1:${options.port}`,
    "  default_backend replicas",
    "backend replicas",
    "  balance roundrobin",
    "  option httpchk GET /healthz",
    "  http-check expect status 200",
    "  default-server inter 500ms fastinter 250ms downinter 500ms fall 2 rise 2",
    "  http-response set-header x-signalbeam-replica %s",
    ...options.backends.map((backend) => `  server ${backend.name} 127.0.0.1:${backend.port} check`),
    ...(options.staticPort && options.staticFile
      ? [
          "frontend static",
          `  bind 127.0.0.1:${options.staticPort}`,
          `  http-request return status 200 content-type application/json file ${options.staticFile}`,
        ]
      : []),
    "",
  ].join("\n");
}

export async function startLoadBalancer(options: {
  backends: Backend[];
  port?: number;
  /** Also serve this body on a front end of its own (see `LoadBalancer.staticUrl`). */
  staticBody?: string;
}): Promise<LoadBalancer> {
  if (!HAPROXY) throw new Error("HAProxy is not installed");
  const directory = mkdtempSync(path.join(tmpdir(), "signalbeam-haproxy-"));
  const port = options.port ?? (await freePort());
  const staticPort = options.staticBody === undefined ? undefined : await freePort();
  const staticFile = staticPort ? path.join(directory, "static.json") : undefined;
  if (staticFile) writeFileSync(staticFile, options.staticBody!);
  const configFile = path.join(directory, "haproxy.cfg");
  writeFileSync(
    configFile,
    haproxyConfig({ port, backends: options.backends, ...(staticPort ? { staticPort, staticFile } : {}) }),
  );
  const check = spawnSync(HAPROXY, ["-c", "-q", "-f", configFile], { encoding: "utf8" });
  if (check.status !== 0) throw new Error(`HAProxy rejected its configuration: ${check.stderr || check.stdout}`);

  const child: ChildProcess = spawn(HAPROXY, ["-db", "-f", configFile], { stdio: ["ignore", "ignore", "pipe"] });
  let errors = "";
  child.stderr!.on("data", (chunk: Buffer) => (errors += chunk.toString()));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`HAProxy exited (${child.exitCode}): ${errors}`);
    const up = await fetch(`${url}/healthz`).then(
      () => true,
      () => false,
    );
    if (up) break;
    if (Date.now() > deadline) throw new Error(`HAProxy did not start listening on ${url}: ${errors}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return {
    url,
    port,
    staticUrl: staticPort ? `http://127.0.0.1:${staticPort}` : undefined,
    pid: child.pid!,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((resolve) => child.once("exit", resolve));
        child.kill("SIGTERM");
        await exited;
      }
      rmSync(directory, { recursive: true, force: true });
    },
  };
}
