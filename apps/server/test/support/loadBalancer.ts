import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

/**
 * A real load balancer in front of server replicas: Debian's HAProxy (installed by `.ci/run`),
 * started with the shipped configuration (deploy/haproxy/haproxy.cfg) moved onto loopback ports. Requests are balanced one by one
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

/** The configuration deployments use (docker-compose.scaled.yml): what the tests run is what ships. */
export const SHIPPED_CONFIG = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  "../../../../deploy/haproxy/haproxy.cfg",
);

/**
 * The shipped configuration on loopback: its front end bound to `port`, and its server template
 * (one per replica found by compose's DNS) replaced by the given backends' addresses.
 */
export function haproxyConfig(options: { port: number; backends: Backend[]; staticPort?: number; staticFile?: string }): string {
  const shipped = readFileSync(SHIPPED_CONFIG, "utf8");
  const replace = (text: string, pattern: RegExp, replacement: string) => {
    if (!pattern.test(text)) throw new Error(`${SHIPPED_CONFIG} no longer has ${pattern}`);
    return text.replace(pattern, replacement);
  };
  let config = replace(shipped, /^ {2}bind :5002$/m, `  bind 127.0.0.1:${options.port}`);
  config = replace(
    config,
    /^ {2}server-template .*$/m,
    options.backends.map((backend) => `  server ${backend.name} 127.0.0.1:${backend.port} check`).join("\n"),
  );
  if (options.staticPort && options.staticFile)
    config += [
      "",
      "frontend static",
      `  bind 127.0.0.1:${options.staticPort}`,
      `  http-request return status 200 content-type application/json file ${options.staticFile}`,
      "",
    ].join("\n");
  return config;
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
