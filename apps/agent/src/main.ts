#!/usr/bin/env node
// The edge agent: `npm run agent -- --api-url … --device-id … --device-token …` (or SIGNALBEAM_* variables).
import Docker from "dockerode";
import pino from "pino";
import { Agent } from "./agent";
import { createAgentApi } from "./api/agentApi";
import { parseAgentConfig } from "./config";
import { DockerRuntime, dockerOptions } from "./runtime/dockerRuntime";
import { fileStateStore } from "./state/agentState";
import { AGENT_VERSION } from "./version";

const parsed = parseAgentConfig(process.env, process.argv.slice(2));
if (!parsed.ok) {
  for (const error of parsed.errors) process.stderr.write(`signalbeam-agent: ${error}\n`);
  process.exit(2);
}
const config = parsed.config;
const log = pino({ level: config.logLevel, base: { deviceId: config.deviceId }, redact: ["token", "deviceToken"] });

const agent = new Agent({
  deviceId: config.deviceId,
  api: createAgentApi({ baseUrl: config.apiUrl, deviceId: config.deviceId, token: config.deviceToken }),
  runtime: new DockerRuntime(new Docker(dockerOptions(config.dockerHost))),
  store: fileStateStore(config.stateDir),
  log,
  pollIntervalMs: config.pollIntervalMs,
  settleMs: config.settleMs,
  startTimeoutMs: config.startTimeoutMs,
});

const controller = new AbortController();
for (const signal of ["SIGINT", "SIGTERM"] as const)
  process.on(signal, () => {
    log.info({ signal }, "stopping after the current step");
    controller.abort();
  });

log.info({ apiUrl: config.apiUrl, pollIntervalSeconds: config.pollIntervalMs / 1000, version: AGENT_VERSION }, "agent started");
await agent.run(controller.signal);
log.info("agent stopped");
