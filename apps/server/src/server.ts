import type { AddressInfo } from "node:net";
import { createServer, type Server } from "node:http";
import {
  type AgentCache,
  type OperatorCache,
  bootstrapAdmin,
  type BootstrapResult,
  type CacheWarmer,
  type Clock,
  createAgentCache,
  createCacheWarmer,
  type LoginLimiter,
  systemClock,
} from "@signalbeam/api";
import { type DatabaseHandle, migrateToLatest, openDatabase, seedDemoFleet } from "@signalbeam/db";
import pino, { type Logger } from "pino";
import { createApp } from "./app";
import { listenForCacheChanges } from "./cacheListener";

export interface StartOptions {
  port?: number;
  host?: string;
  databaseUrl?: string | undefined;
  dataDir?: string;
  demo?: boolean;
  log?: Logger;
  clock?: Clock;
  webDir?: string | undefined;
  /** First-start admin credentials (SIGNALBEAM_ADMIN_PASSWORD / _TOKEN); generated when absent. */
  admin?: { password?: string | undefined; token?: string | undefined };
  trustProxy?: string | false;
  loginLimiter?: LoginLimiter;
  /** Agent cache capacity (devices) and whether to keep it warm; 250,000 and warm by default. */
  agentCache?: { devices?: number; warm?: boolean };
  /** See `AppDependencies.fastPaths`. */
  fastPaths?: boolean;
}

export interface RunningServer {
  url: string;
  port: number;
  database: DatabaseHandle;
  seeded: boolean;
  /** Set on the first start of an empty database: the admin account created, with any generated secrets. */
  bootstrap: BootstrapResult | undefined;
  /** The caches and the agent cache's warmer (tests and benchmarks look inside). */
  agentCache: AgentCache;
  operatorCache: OperatorCache;
  cacheWarmer: CacheWarmer;
  close(): Promise<void>;
}

/**
 * Opens the database, migrates it, seeds the demo fleet on first start, and listens. Used by
 * `main` and by tests, which get the same server a user does.
 */
export async function startServer(options: StartOptions = {}): Promise<RunningServer> {
  const log = options.log ?? pino({ level: "silent" });
  const database = await openDatabase({ databaseUrl: options.databaseUrl, dataDir: options.dataDir });
  let server: Server | undefined;
  let warmer: CacheWarmer | undefined;
  try {
    const applied = await migrateToLatest(database.db);
    if (applied.length) log.info({ migrations: applied }, "database migrated");
    const seeded = options.demo ? await seedDemoFleet(database.db) : false;
    if (seeded) log.info("demo fleet loaded");
    const clock = options.clock ?? systemClock;
    const bootstrap = await bootstrapAdmin(database.db, { ...options.admin, now: clock() });
    // Never the secrets themselves: `main` prints generated ones once, to the terminal only.
    if (bootstrap) log.info({ username: bootstrap.username }, "admin account and admin API key created");

    const agentCache = createAgentCache({ maxDevices: options.agentCache?.devices ?? 250_000 });
    warmer = createCacheWarmer({
      db: database.db,
      cache: agentCache,
      onError: (error) => log.warn({ err: error }, "agent cache warm-up failed; polls read the database meanwhile"),
    });
    const app = createApp({
      db: database.db,
      log,
      clock: options.clock,
      webDir: options.webDir,
      trustProxy: options.trustProxy,
      loginLimiter: options.loginLimiter,
      agentCache,
      cacheWarmer: warmer,
      fastPaths: options.fastPaths,
    });
    const stopListening = options.databaseUrl
      ? await listenForCacheChanges(options.databaseUrl, app.agentCache, app.operatorCache, log)
      : async () => {};
    if (options.agentCache?.warm ?? true) warmer.start();
    server = createServer(app.handler);
    // Agents keep connections open between polls; let them.
    server.keepAliveTimeout = 65_000;
    await new Promise<void>((resolve, reject) => {
      server!.once("error", reject);
      server!.listen(options.port ?? 0, options.host ?? "127.0.0.1", resolve);
    });
    const { port } = server.address() as AddressInfo;
    const host = options.host && options.host !== "0.0.0.0" ? options.host : "localhost";
    const running = server;
    return {
      url: `http://${host}:${port}`,
      port,
      database,
      seeded,
      bootstrap,
      agentCache: app.agentCache,
      operatorCache: app.operatorCache,
      cacheWarmer: warmer,
      close: async () => {
        await new Promise<void>((resolve) => {
          running.close(() => resolve());
          running.closeIdleConnections();
          // In-flight requests get a grace period, then go.
          setTimeout(() => running.closeAllConnections(), 5_000).unref();
        });
        await stopListening();
        await warmer?.stop();
        await database.close();
      },
    };
  } catch (error) {
    server?.close();
    await warmer?.stop();
    await database.close();
    throw error;
  }
}
