import { parseApiKey } from "@signalbeam/api";

/**
 * Server configuration from the environment. Pure: `parseServerConfig(env)` returns the settings
 * or the list of problems, each naming its variable, so `main` can print them and exit 2.
 */
export interface ServerConfig {
  port: number;
  host: string;
  databaseUrl: string | undefined;
  dataDir: string;
  demo: boolean;
  logLevel: "fatal" | "error" | "warn" | "info" | "debug" | "trace" | "silent";
  webDir: string | undefined;
  /** First-start admin credentials; generated (and printed once) when unset. */
  adminPassword: string | undefined;
  adminToken: string | undefined;
  /** Express "trust proxy": which proxies' X-Forwarded-For/-Proto to believe (client address, HTTPS). */
  trustProxy: string | false;
  /** How many devices' credentials and desired-state answers the agent cache keeps. */
  agentCacheDevices: number;
  /** Load the agent cache at start and after every change, instead of on each device's first poll. */
  agentCacheWarm: boolean;
  /** V8 heap growth past the live heap before a full collection, in percent; 0 leaves V8's own (up to 4×). */
  heapGrowthPercent: number;
  /** A bearer token Prometheus may scrape GET /metrics with (a viewer API key works too). */
  metricsToken: string | undefined;
  /** The dashboard's address as people reach it, for links in notifications. */
  publicUrl: string | undefined;
  /** Where email notifications go out: smtp:// or smtps:// URL. */
  smtpUrl: string | undefined;
  smtpFrom: string | undefined;
  /** One delivery attempt's timeout (webhooks, Slack-compatible, email). */
  deliveryTimeoutMs: number;
  /** How often a standby replica tries to take the controller's lead (and the leader checks its hold): the failover time. */
  leaderRetryMs: number;
  /** PostgreSQL connections this replica's pool may hold (besides its listener and its leader lock). */
  databasePoolSize: number;
}

const logLevels = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;

export type ConfigResult = { ok: true; config: ServerConfig } | { ok: false; errors: string[] };

export function parseServerConfig(env: Record<string, string | undefined>): ConfigResult {
  const errors: string[] = [];

  const portText = env.PORT ?? "5002";
  const port = Number(portText);
  if (!/^\d+$/.test(portText) || port < 0 || port > 65535) errors.push(`PORT must be a port number (0–65535), got "${portText}"`);

  const metricsToken = env.SIGNALBEAM_METRICS_TOKEN || undefined;
  if (metricsToken !== undefined && !/^[\x21-\x7e]{16,256}$/.test(metricsToken))
    errors.push("SIGNALBEAM_METRICS_TOKEN must be 16–256 printable characters without spaces");

  const databaseUrl = env.DATABASE_URL?.trim() || undefined;
  if (databaseUrl && !/^postgres(ql)?:\/\//.test(databaseUrl))
    errors.push("DATABASE_URL must be a postgres:// or postgresql:// URL (leave it unset for the embedded database)");

  const demoText = (env.SIGNALBEAM_DEMO ?? "on").toLowerCase();
  if (!["on", "off", "true", "false", "1", "0"].includes(demoText))
    errors.push(`SIGNALBEAM_DEMO must be on or off, got "${env.SIGNALBEAM_DEMO}"`);

  const logLevel = (env.LOG_LEVEL ?? "info").toLowerCase();
  if (!(logLevels as readonly string[]).includes(logLevel))
    errors.push(`LOG_LEVEL must be one of ${logLevels.join(", ")}, got "${env.LOG_LEVEL}"`);

  const adminPassword = env.SIGNALBEAM_ADMIN_PASSWORD || undefined;
  if (adminPassword !== undefined && (adminPassword.length < 12 || adminPassword.length > 1024))
    errors.push("SIGNALBEAM_ADMIN_PASSWORD must be 12–1024 characters (or unset to have one generated)");
  const adminToken = env.SIGNALBEAM_ADMIN_TOKEN || undefined;
  if (adminToken !== undefined && !parseApiKey(adminToken))
    errors.push(
      "SIGNALBEAM_ADMIN_TOKEN must look like sbk_<12 hex digits>_<16–128 of A-Z a-z 0-9 _ -> " +
        "(e.g. sbk_0123456789ab_my-long-secret-value), or be unset to have one generated",
    );

  const cacheDevicesText = env.SIGNALBEAM_AGENT_CACHE_DEVICES ?? "250000";
  const agentCacheDevices = Number(cacheDevicesText);
  if (!/^\d+$/.test(cacheDevicesText) || agentCacheDevices < 1 || agentCacheDevices > 10_000_000)
    errors.push(`SIGNALBEAM_AGENT_CACHE_DEVICES must be a whole number from 1 to 10000000, got "${cacheDevicesText}"`);
  const warmText = (env.SIGNALBEAM_AGENT_CACHE_WARM ?? "on").toLowerCase();
  if (!["on", "off", "true", "false", "1", "0"].includes(warmText))
    errors.push(`SIGNALBEAM_AGENT_CACHE_WARM must be on or off, got "${env.SIGNALBEAM_AGENT_CACHE_WARM}"`);

  const heapGrowthText = env.SIGNALBEAM_HEAP_GROWTH_PERCENT ?? "50";
  const heapGrowthPercent = Number(heapGrowthText);
  if (!/^\d+$/.test(heapGrowthText) || heapGrowthPercent > 300)
    errors.push(`SIGNALBEAM_HEAP_GROWTH_PERCENT must be a whole number from 0 to 300, got "${heapGrowthText}"`);

  const publicUrl = env.SIGNALBEAM_PUBLIC_URL?.trim() || undefined;
  if (publicUrl !== undefined && !/^https?:\/\/[^\s/]+(\/\S*)?$/.test(publicUrl))
    errors.push(
      `SIGNALBEAM_PUBLIC_URL must be the dashboard's http(s) URL, e.g. https://signalbeam.example.com, got "${publicUrl}"`,
    );
  const smtpUrl = env.SIGNALBEAM_SMTP_URL?.trim() || undefined;
  if (smtpUrl !== undefined && !/^smtps?:\/\/\S+$/.test(smtpUrl))
    errors.push("SIGNALBEAM_SMTP_URL must be an smtp:// or smtps:// URL, e.g. smtp://user:password@mail.example.com:587");
  const smtpFrom = env.SIGNALBEAM_SMTP_FROM?.trim() || undefined;
  const timeoutText = env.SIGNALBEAM_DELIVERY_TIMEOUT_MS ?? "10000";
  const deliveryTimeoutMs = Number(timeoutText);
  if (!/^\d+$/.test(timeoutText) || deliveryTimeoutMs < 100 || deliveryTimeoutMs > 60_000)
    errors.push(`SIGNALBEAM_DELIVERY_TIMEOUT_MS must be a whole number from 100 to 60000, got "${timeoutText}"`);

  const leaderText = env.SIGNALBEAM_LEADER_RETRY_MS ?? "2000";
  const leaderRetryMs = Number(leaderText);
  if (!/^\d+$/.test(leaderText) || leaderRetryMs < 100 || leaderRetryMs > 60_000)
    errors.push(`SIGNALBEAM_LEADER_RETRY_MS must be a whole number from 100 to 60000, got "${leaderText}"`);

  const poolText = env.SIGNALBEAM_DATABASE_POOL_SIZE ?? "20";
  const databasePoolSize = Number(poolText);
  if (!/^\d+$/.test(poolText) || databasePoolSize < 2 || databasePoolSize > 500)
    errors.push(`SIGNALBEAM_DATABASE_POOL_SIZE must be a whole number from 2 to 500, got "${poolText}"`);

  if (errors.length) return { ok: false, errors };
  return {
    ok: true,
    config: {
      port,
      host: env.HOST ?? "0.0.0.0",
      databaseUrl,
      dataDir: env.SIGNALBEAM_DATA_DIR || ".data",
      demo: ["on", "true", "1"].includes(demoText),
      logLevel: logLevel as ServerConfig["logLevel"],
      webDir: env.SIGNALBEAM_WEB_DIR || undefined,
      adminPassword,
      adminToken,
      trustProxy: env.SIGNALBEAM_TRUST_PROXY || false,
      agentCacheDevices,
      agentCacheWarm: ["on", "true", "1"].includes(warmText),
      heapGrowthPercent,
      metricsToken,
      publicUrl,
      smtpUrl,
      smtpFrom,
      deliveryTimeoutMs,
      leaderRetryMs,
      databasePoolSize,
    },
  };
}
