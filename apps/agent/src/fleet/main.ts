// The fleet simulator: `npm run fleet -- --api-key sbk_… --devices 1000 --failure-rate 0.05 --poll 5`
// `--fail-version 1.3.0=0.4` (repeatable) makes one version fail often, to watch a failure
// threshold stop a staged rollout and a rollback bring the devices back.
// Registers the devices if needed, runs that many agents in this process against the server,
// prints a live progress line, and exits cleanly on Ctrl-C.
import { setMaxListeners } from "node:events";
import { parseArgs } from "node:util";
import pino from "pino";
import { mapLimit, operatorApi } from "./registerDevices";
import { startFleet } from "./simulateFleet";

function fail(message: string): never {
  process.stderr.write(`signalbeam-fleet: ${message}\n`);
  process.exit(2);
}

let parsed;
try {
  parsed = parseArgs({
    options: {
      url: { type: "string", default: process.env.SIGNALBEAM_API_URL ?? "http://localhost:5002" },
      "api-key": { type: "string", default: process.env.SIGNALBEAM_API_KEY },
      devices: { type: "string", default: "100" },
      "failure-rate": { type: "string", default: "0.05" },
      "fail-version": { type: "string", multiple: true, default: [] },
      poll: { type: "string", default: "5" },
      prefix: { type: "string", default: "sim" },
      "time-scale": { type: "string", default: "1" },
      demo: { type: "boolean", default: false },
      quiet: { type: "boolean", default: false },
    },
  }).values;
} catch (error) {
  fail(error instanceof Error ? error.message : String(error));
}

const deviceCount = Number(parsed.devices);
const failureRate = Number(parsed["failure-rate"]);
const pollSeconds = Number(parsed.poll);
const timeScale = Number(parsed["time-scale"]);
if (!Number.isInteger(deviceCount) || deviceCount < 1 || deviceCount > 100_000)
  fail(`--devices must be 1–100000, got "${parsed.devices}"`);
if (!(failureRate >= 0 && failureRate <= 1)) fail(`--failure-rate must be between 0 and 1, got "${parsed["failure-rate"]}"`);
const failureRateByVersion: Record<string, number> = {};
for (const entry of parsed["fail-version"] ?? []) {
  const match = /^([^=\s]+)=([0-9.]+)$/.exec(entry);
  const rate = match ? Number(match[2]) : NaN;
  if (!match || !(rate >= 0 && rate <= 1))
    fail(`--fail-version must look like 1.3.0=0.4 (a version and a rate 0–1), got "${entry}"`);
  failureRateByVersion[match[1]!] = rate;
}
if (!(pollSeconds >= 0.1)) fail(`--poll must be a number of seconds ≥ 0.1, got "${parsed.poll}"`);
if (!(timeScale >= 0)) fail(`--time-scale must be ≥ 0, got "${parsed["time-scale"]}"`);
if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,100}$/.test(parsed.prefix))
  fail(`--prefix must be a device id prefix, got "${parsed.prefix}"`);

if (!parsed["api-key"])
  fail(
    "registering devices needs an operator API key: --api-key sbk_… or SIGNALBEAM_API_KEY (the admin key from the first start)",
  );

const log = pino({ level: process.env.LOG_LEVEL ?? "silent" });
const operator = operatorApi(parsed.url, { authorization: `Bearer ${parsed["api-key"]}` });
const say = (line: string) => process.stdout.write(`${line}\n`);

let devices;
try {
  if (parsed.demo) {
    const ids = await operator.demoDeviceIds();
    devices = await mapLimit(ids, 10, (id) => operator.rotateToken(id));
  } else {
    const ids = Array.from({ length: deviceCount }, (_, index) => `${parsed.prefix}-${String(index + 1).padStart(5, "0")}`);
    if (!parsed.quiet) say(`registering ${ids.length} devices with ${parsed.url}…`);
    devices = await mapLimit(ids, 20, (id) => operator.enroll(id, `Simulated ${id}`));
  }
} catch (error) {
  fail(`cannot register devices: ${error instanceof Error ? error.message : String(error)}`);
}

const controller = new AbortController();
// Every agent waits on this one signal.
setMaxListeners(0, controller.signal);
const fleet = startFleet(
  { apiUrl: parsed.url, devices, pollIntervalMs: pollSeconds * 1000, failureRate, failureRateByVersion, timeScale, log },
  controller.signal,
);
const started = Date.now();
const line = () => {
  const { stats } = fleet;
  const seconds = Math.max(1, (Date.now() - started) / 1000);
  return (
    `agents ${stats.agents} | polls ${stats.ticks} (${(stats.ticks / seconds).toFixed(0)}/s) | ` +
    `updated ${stats.updated} | failed ${stats.failed} | moved on ${stats.movedOn} | api errors ${stats.apiErrors}`
  );
};
if (!parsed.quiet)
  say(`${devices.length} simulated agents polling every ${pollSeconds} s (failure rate ${failureRate}); Ctrl-C stops`);
const tty = process.stdout.isTTY;
const ticker = parsed.quiet
  ? undefined
  : setInterval(() => (tty ? process.stdout.write(`\r${line()}\x1b[K`) : say(line())), tty ? 1_000 : 5_000);

const stop = () => {
  if (controller.signal.aborted) return;
  controller.abort();
  if (!parsed.quiet) say(`${tty ? "\n" : ""}stopping…`);
};
process.on("SIGINT", stop);
process.on("SIGTERM", stop);
await fleet.done;
if (ticker) clearInterval(ticker);
if (!parsed.quiet) say(line());
