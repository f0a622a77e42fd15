import pino from "pino";
import { parseServerConfig } from "./config";
import { limitHeapGrowth } from "./heapGrowth";
import { startBanner } from "./startBanner";
import { startServer } from "./server";

const parsed = parseServerConfig(process.env);
if (!parsed.ok) {
  for (const error of parsed.errors) process.stderr.write(`signalbeam: ${error}\n`);
  process.exit(2);
}
const config = parsed.config;
if (config.heapGrowthPercent > 0) limitHeapGrowth(config.heapGrowthPercent);
const log = pino({ level: config.logLevel, redact: ["req.headers.authorization"] });

try {
  const server = await startServer({
    port: config.port,
    host: config.host,
    databaseUrl: config.databaseUrl,
    databasePoolSize: config.databasePoolSize,
    dataDir: config.dataDir,
    demo: config.demo,
    webDir: config.webDir,
    admin: { password: config.adminPassword, token: config.adminToken },
    trustProxy: config.trustProxy,
    agentCache: { devices: config.agentCacheDevices, warm: config.agentCacheWarm },
    metricsToken: config.metricsToken,
    controller: { leaderRetryMs: config.leaderRetryMs },
    integrations: {
      publicUrl: config.publicUrl,
      smtpUrl: config.smtpUrl,
      smtpFrom: config.smtpFrom,
      timeoutMs: config.deliveryTimeoutMs,
    },
    log,
  });
  log.info(
    { url: server.url, database: server.database.kind, location: server.database.location },
    `SignalBeam Edge is serving ${server.url} (dashboard /, API /api, reference /api/docs)`,
  );
  if (server.bootstrap) process.stdout.write(startBanner(server.url, server.bootstrap));

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, "shutting down");
    const force = setTimeout(() => process.exit(1), 10_000).unref();
    await server.close();
    clearTimeout(force);
    process.exit(0);
  };
  process.on("SIGINT", () => void stop("SIGINT"));
  process.on("SIGTERM", () => void stop("SIGTERM"));
} catch (error) {
  log.fatal({ err: error }, "could not start");
  process.exit(1);
}
