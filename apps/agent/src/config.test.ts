import { describe, expect, it } from "vitest";
import { parseAgentConfig } from "./config";

const required = {
  SIGNALBEAM_API_URL: "http://localhost:5002",
  SIGNALBEAM_DEVICE_ID: "device-001",
  SIGNALBEAM_DEVICE_TOKEN: "sbd_x",
};

describe("parseAgentConfig", () => {
  it("reads the environment with defaults", () => {
    expect(parseAgentConfig(required, [])).toEqual({
      ok: true,
      config: {
        apiUrl: "http://localhost:5002",
        deviceId: "device-001",
        deviceToken: "sbd_x",
        pollIntervalMs: 60_000,
        stateDir: ".signalbeam-agent",
        dockerHost: undefined,
        logLevel: "info",
        settleMs: 2_000,
        startTimeoutMs: 60_000,
      },
    });
  });

  it("lets flags override the environment", () => {
    const result = parseAgentConfig(required, [
      "--poll-interval",
      "5",
      "--device-id=edge-7",
      "--docker-host",
      "unix:///run/podman.sock",
    ]);
    expect(result).toMatchObject({
      ok: true,
      config: { pollIntervalMs: 5_000, deviceId: "edge-7", dockerHost: "unix:///run/podman.sock" },
    });
  });

  it.each([
    [{}, [], "SIGNALBEAM_API_URL (--api-url) is required"],
    [{ ...required, SIGNALBEAM_DEVICE_TOKEN: "" }, [], "SIGNALBEAM_DEVICE_TOKEN (--device-token) is required"],
    [{ ...required, SIGNALBEAM_API_URL: "localhost:5002" }, [], "SIGNALBEAM_API_URL (--api-url) must be an http(s) URL"],
    [{ ...required, SIGNALBEAM_POLL_INTERVAL: "soon" }, [], "SIGNALBEAM_POLL_INTERVAL (--poll-interval) must be a number"],
    [{ ...required, SIGNALBEAM_POLL_INTERVAL: "0" }, [], "SIGNALBEAM_POLL_INTERVAL (--poll-interval) must be a number"],
    [{ ...required, DOCKER_HOST: "/var/run/docker.sock" }, [], "DOCKER_HOST (--docker-host) must be unix://"],
    [{ ...required, SIGNALBEAM_DEVICE_ID: "bad id" }, [], "SIGNALBEAM_DEVICE_ID (--device-id) is not a valid device id"],
    [required, ["--frobnicate", "1"], "unknown option --frobnicate"],
    [required, ["--state-dir"], "--state-dir needs a value"],
  ])("%o %o → %s", (env, argv, message) => {
    const result = parseAgentConfig(env, argv);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.errors.join("\n")).toContain(message);
  });
});
