import { describe, expect, it } from "vitest";
import { parseServerConfig } from "./config";

describe("parseServerConfig", () => {
  it("defaults to port 5002, embedded database in .data, demo on", () => {
    expect(parseServerConfig({})).toEqual({
      ok: true,
      config: {
        port: 5002,
        host: "0.0.0.0",
        databaseUrl: undefined,
        dataDir: ".data",
        demo: true,
        logLevel: "info",
        webDir: undefined,
        adminPassword: undefined,
        adminToken: undefined,
        trustProxy: false,
        agentCacheDevices: 250_000,
        agentCacheWarm: true,
        heapGrowthPercent: 50,
        metricsToken: undefined,
        publicUrl: undefined,
        smtpUrl: undefined,
        smtpFrom: undefined,
        deliveryTimeoutMs: 10_000,
        leaderRetryMs: 2_000,
        databasePoolSize: 20,
      },
    });
  });

  it.each([
    [{ PORT: "http" }, "PORT"],
    [{ PORT: "70000" }, "PORT"],
    [{ DATABASE_URL: "mysql://x" }, "DATABASE_URL"],
    [{ SIGNALBEAM_DEMO: "maybe" }, "SIGNALBEAM_DEMO"],
    [{ LOG_LEVEL: "loud" }, "LOG_LEVEL"],
    [{ SIGNALBEAM_ADMIN_PASSWORD: "short" }, "SIGNALBEAM_ADMIN_PASSWORD"],
    [{ SIGNALBEAM_ADMIN_TOKEN: "let-me-in" }, "SIGNALBEAM_ADMIN_TOKEN"],
    [{ SIGNALBEAM_ADMIN_TOKEN: "sbk_0123456789ab_short" }, "SIGNALBEAM_ADMIN_TOKEN"],
    [{ SIGNALBEAM_AGENT_CACHE_DEVICES: "0" }, "SIGNALBEAM_AGENT_CACHE_DEVICES"],
    [{ SIGNALBEAM_AGENT_CACHE_DEVICES: "lots" }, "SIGNALBEAM_AGENT_CACHE_DEVICES"],
    [{ SIGNALBEAM_AGENT_CACHE_WARM: "sometimes" }, "SIGNALBEAM_AGENT_CACHE_WARM"],
    [{ SIGNALBEAM_HEAP_GROWTH_PERCENT: "400" }, "SIGNALBEAM_HEAP_GROWTH_PERCENT"],
    [{ SIGNALBEAM_HEAP_GROWTH_PERCENT: "-5" }, "SIGNALBEAM_HEAP_GROWTH_PERCENT"],
    [{ SIGNALBEAM_METRICS_TOKEN: "short" }, "SIGNALBEAM_METRICS_TOKEN"],
    [{ SIGNALBEAM_METRICS_TOKEN: "has a space in the middle" }, "SIGNALBEAM_METRICS_TOKEN"],
    [{ SIGNALBEAM_PUBLIC_URL: "fleet.example.com" }, "SIGNALBEAM_PUBLIC_URL"],
    [{ SIGNALBEAM_SMTP_URL: "mail.example.com:25" }, "SIGNALBEAM_SMTP_URL"],
    [{ SIGNALBEAM_DELIVERY_TIMEOUT_MS: "0" }, "SIGNALBEAM_DELIVERY_TIMEOUT_MS"],
    [{ SIGNALBEAM_DELIVERY_TIMEOUT_MS: "soon" }, "SIGNALBEAM_DELIVERY_TIMEOUT_MS"],
    [{ SIGNALBEAM_LEADER_RETRY_MS: "50" }, "SIGNALBEAM_LEADER_RETRY_MS"],
    [{ SIGNALBEAM_LEADER_RETRY_MS: "2s" }, "SIGNALBEAM_LEADER_RETRY_MS"],
    [{ SIGNALBEAM_DATABASE_POOL_SIZE: "1" }, "SIGNALBEAM_DATABASE_POOL_SIZE"],
  ])("%o is rejected naming %s", (env, name) => {
    const result = parseServerConfig(env);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.errors.join("\n")).toContain(name);
  });

  it("reads every setting", () => {
    const result = parseServerConfig({
      PORT: "8080",
      DATABASE_URL: "postgres://u@h/db",
      SIGNALBEAM_DATA_DIR: "/var/lib/sb",
      SIGNALBEAM_DEMO: "off",
      LOG_LEVEL: "debug",
      SIGNALBEAM_AGENT_CACHE_DEVICES: "20000",
      SIGNALBEAM_AGENT_CACHE_WARM: "off",
      SIGNALBEAM_PUBLIC_URL: "https://fleet.example.com",
      SIGNALBEAM_SMTP_URL: "smtps://bot:pw@mail.example.com:465",
      SIGNALBEAM_SMTP_FROM: "Fleet <fleet@example.com>",
      SIGNALBEAM_DELIVERY_TIMEOUT_MS: "5000",
      SIGNALBEAM_LEADER_RETRY_MS: "500",
      SIGNALBEAM_DATABASE_POOL_SIZE: "8",
    });
    expect(result).toMatchObject({
      ok: true,
      config: {
        port: 8080,
        databaseUrl: "postgres://u@h/db",
        dataDir: "/var/lib/sb",
        demo: false,
        logLevel: "debug",
        agentCacheDevices: 20_000,
        agentCacheWarm: false,
        publicUrl: "https://fleet.example.com",
        smtpUrl: "smtps://bot:pw@mail.example.com:465",
        smtpFrom: "Fleet <fleet@example.com>",
        deliveryTimeoutMs: 5_000,
        leaderRetryMs: 500,
        databasePoolSize: 8,
      },
    });
  });

  it("accepts admin credentials chosen for automation", () => {
    const result = parseServerConfig({
      SIGNALBEAM_ADMIN_PASSWORD: "correct horse battery staple",
      SIGNALBEAM_ADMIN_TOKEN: "sbk_0123456789ab_an-automation-secret",
    });
    expect(result.ok && result.config.adminToken).toBe("sbk_0123456789ab_an-automation-secret");
    expect(result.ok && result.config.adminPassword).toBe("correct horse battery staple");
  });
});
