// `npm start`: install what is missing, build, then run the server (which migrates the embedded
// database, loads the demo fleet on first start and serves http://localhost:5002) and, for the
// demo devices, a small simulated fleet so rollouts visibly move (SIGNALBEAM_DEMO_FLEET=off skips it).
import { spawn } from "node:child_process";
import { localAdminCredentials } from "./lib/local-admin.mjs";
import { ensureDependencies, root, run } from "./lib/ensure-dependencies.mjs";

process.env.TURBO_TELEMETRY_DISABLED ??= "1";
ensureDependencies();
console.log("› building…");
run("npx", ["turbo", "run", "build", "--output-logs=errors-only"]);

const children = [];
const launch = (args) => {
  const child = spawn(process.execPath, args, { cwd: root, stdio: "inherit" });
  children.push(child);
  return child;
};
const stopAll = (signal) => children.forEach((child) => child.exitCode === null && child.kill(signal));
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => stopAll(signal));

// The server creates the admin account on the first start of an empty database from these.
const admin = localAdminCredentials(process.env);
process.env.SIGNALBEAM_ADMIN_PASSWORD = admin.password;
process.env.SIGNALBEAM_ADMIN_TOKEN = admin.token;
// The server runs from its bundle (built just above), as in production; `npm run serve` runs the sources.
const server = launch(["--enable-source-maps", "apps/server/dist/signalbeam-server.mjs"]);
server.on("exit", (code, signal) => {
  stopAll("SIGTERM");
  process.exit(code ?? (signal ? 1 : 0));
});

const port = process.env.PORT ?? "5002";
const url = `http://localhost:${port}`;
const demoOn = (name) => !["off", "false", "0"].includes((process.env[name] ?? "on").toLowerCase());

// Wait for the server, then say how to sign in and start the demo fleet.
const deadline = Date.now() + 120_000;
while (Date.now() < deadline && server.exitCode === null) {
  const healthy = await fetch(`${url}/healthz`).then(
    (response) => response.ok,
    () => false,
  );
  if (healthy) break;
  await new Promise((resolve) => setTimeout(resolve, 250));
}
const keyWorks =
  server.exitCode === null &&
  (await fetch(`${url}/api/auth/me`, { headers: { authorization: `Bearer ${admin.token}` } }).then(
    (response) => response.ok,
    () => false,
  ));
if (keyWorks) {
  console.log(`› sign in at ${url} as admin / ${admin.password}`);
  console.log(`› admin API key: ${admin.token}${admin.source ? ` (kept in ${admin.source})` : ""}`);
} else if (server.exitCode === null) {
  console.log("› this database's admin account predates these credentials: use the ones printed at its first start");
}

if (keyWorks && demoOn("SIGNALBEAM_DEMO") && demoOn("SIGNALBEAM_DEMO_FLEET")) {
  process.env.SIGNALBEAM_API_KEY = admin.token;
  // Edge Gateway 2.2.0 is the demo's bad release: it fails on about half the devices.
  const fleetArgs = ["--demo", "--quiet", "--url", url, "--poll", "5", "--failure-rate", "0.1", "--fail-version", "2.2.0=0.5"];
  launch(["apps/agent/dist/signalbeam-fleet.mjs", ...fleetArgs]);
  console.log(`› demo fleet: simulated agents are polling for the demo devices; assign a bundle at ${url} to watch them update`);
  console.log(
    "  Try Edge Gateway 2.2.0 (it fails on about half the devices) on the Warehouse A group, strategy\n" +
      '  "Canary 2 devices, then half, then everyone", failure threshold 20 % after at least 2 finished:\n' +
      "  it pauses within a minute or two; then Roll back.",
  );
}
