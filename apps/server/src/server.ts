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
  createDeps,
  type Deps,
  type LoginLimiter,
  ALWAYS_LEADER,
  type PolicyController,
  seedDemoFleet,
  startPolicyController,
  createSender,
  type IntegrationWorker,
  type SenderOptions,
  startIntegrationWorker,
  createLoginLimiter,
  createRolloutEvents,
  defaultLoginLimits,
  postgresLimiterStore,
  ROLLOUT_NOTICE_CHANNEL,
  type RolloutEvents,
  type SharedRolloutEvents,
  shareRolloutEvents,
} from "@signalbeam/api";
import { type DatabaseHandle, migrateToLatest, openDatabase, sql } from "@signalbeam/db";
import pino, { type Logger } from "pino";
import { createApp } from "./app";
import { listenForNotifications, type NotificationListener } from "./notificationListener";
import { cacheInvalidationChannel, rolloutNoticeChannel } from "./replicaChannels";
import { electLeader, type LeaderElection } from "./leaderElection";

export interface StartOptions {
  port?: number;
  host?: string;
  databaseUrl?: string | undefined;
  /** PostgreSQL pool size (20 by default). */
  databasePoolSize?: number;
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
  /** Hears every database statement (tests count what a request costs). */
  onQuery?: (sql: string) => void;
  /**
   * The policy controller: its tick (at most 1 s; `false` leaves time-based rules to explicit
   * `controller.runDue()` calls, as tests that move a fake clock do) and how often a standby
   * replica tries to take the lead.
   */
  controller?: { tick?: boolean; leaderRetryMs?: number };
  /** SIGNALBEAM_METRICS_TOKEN: a bearer token for GET /metrics besides viewer credentials. */
  metricsToken?: string | undefined;
  /**
   * Webhooks and notifications: where links point, the SMTP server, the per-attempt timeout, and
   * the delivery worker's tick (`false`: only commits of this process and `integrations.runDue()` wake it).
   */
  integrations?: SenderOptions & { tick?: boolean };
}

export interface RunningServer {
  url: string;
  port: number;
  database: DatabaseHandle;
  seeded: boolean;
  /** Set on the first start of an empty database: the admin account created, with any generated secrets. */
  bootstrap: BootstrapResult | undefined;
  /** The domain's dependencies, the caches among them, and the agent cache's warmer (tests and benchmarks look inside). */
  deps: Deps;
  agentCache: AgentCache;
  operatorCache: OperatorCache;
  cacheWarmer: CacheWarmer;
  /** Procedures answered by fast paths (see createApp). */
  fastPathProcedures: readonly string[];
  /** The NOTIFY listener that keeps caches and live views right across replicas (PostgreSQL only). */
  notificationListener: NotificationListener | undefined;
  /** The policy controller (it acts only while this server leads). */
  controller: PolicyController;
  /** Sends webhooks and notifications (every replica runs one; claims keep them apart). */
  integrations: IntegrationWorker;
  /** Whether this server leads the controller now (always, with embedded PGlite: one process). */
  leading(): boolean;
  close(): Promise<void>;
}

/**
 * Opens the database, migrates it, seeds the demo fleet on first start, and listens. Used by
 * `main` and by tests, which get the same server a user does.
 */
export async function startServer(options: StartOptions = {}): Promise<RunningServer> {
  const log = options.log ?? pino({ level: "silent" });
  const database = await openDatabase({
    databaseUrl: options.databaseUrl,
    dataDir: options.dataDir,
    onQuery: options.onQuery,
    maxConnections: options.databasePoolSize,
  });
  let server: Server | undefined;
  let warmer: CacheWarmer | undefined;
  let election: LeaderElection | undefined;
  let controller: PolicyController | undefined;
  let integrations: IntegrationWorker | undefined;
  let listener: NotificationListener | undefined;
  let shared: SharedRolloutEvents | undefined;
  const clock = options.clock;
  const sender = createSender({ ...options.integrations, ...(clock ? { clock } : {}) });
  try {
    const applied = await migrateToLatest(database.db);
    if (applied.length) log.info({ migrations: applied }, "database migrated");
    // On PostgreSQL other replicas may share the database: change notices and login counts go through it.
    const pool = database.pgPool;
    const events: RolloutEvents = pool
      ? (shared = shareRolloutEvents(createRolloutEvents(), {
          publish: async (payload) => void (await pool.query("SELECT pg_notify($1, $2)", [ROLLOUT_NOTICE_CHANNEL, payload])),
          onError: (error) => log.warn({ err: error }, "a change notice for other replicas was lost"),
        }))
      : createRolloutEvents();
    const loginLimiter =
      options.loginLimiter ?? (pool ? createLoginLimiter(defaultLoginLimits, postgresLimiterStore(pool)) : undefined);
    const deps = createDeps({
      db: database.db,
      log,
      events,
      ...(options.clock ? { clock: options.clock } : {}),
      ...(loginLimiter ? { loginLimiter } : {}),
      agentCache: createAgentCache({ maxDevices: options.agentCache?.devices ?? 250_000 }),
      sender,
    });
    const seeded = options.demo ? await oneAtATime(database, () => seedDemoFleet(deps)) : false;
    if (seeded) log.info("demo fleet loaded");
    const bootstrap = await bootstrapAdmin(deps, options.admin ?? {});
    // Never the secrets themselves: `main` prints generated ones once, to the terminal only.
    if (bootstrap) log.info({ username: bootstrap.username }, "admin account and admin API key created");

    warmer = createCacheWarmer({
      db: database.db,
      cache: deps.agentCache,
      onError: (error) => log.warn({ err: error }, "agent cache warm-up failed; polls read the database meanwhile"),
    });
    const app = createApp({
      deps,
      log,
      webDir: options.webDir,
      trustProxy: options.trustProxy,
      cacheWarmer: warmer,
      fastPaths: options.fastPaths,
      metricsToken: options.metricsToken,
    });
    deps.metrics.watchRollouts(database.db);
    listener = options.databaseUrl
      ? await listenForNotifications(
          options.databaseUrl,
          [cacheInvalidationChannel(deps.agentCache, deps.operatorCache), ...(shared ? [rolloutNoticeChannel(shared)] : [])],
          log,
        )
      : undefined;
    if (options.agentCache?.warm ?? true) warmer.start();
    election = options.databaseUrl
      ? await electLeader(options.databaseUrl, log, { retryMs: options.controller?.leaderRetryMs ?? 2_000 })
      : undefined;
    const leadership = election ?? ALWAYS_LEADER;
    deps.metrics.watchLeadership(() => leadership.isLeader());
    controller = startPolicyController(deps, { leadership, tickMs: options.controller?.tick === false ? 0 : 1000 });
    integrations = startIntegrationWorker(deps, { tickMs: options.integrations?.tick === false ? 0 : 500 });
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
      deps,
      agentCache: deps.agentCache,
      operatorCache: deps.operatorCache,
      cacheWarmer: warmer,
      notificationListener: listener,
      controller: controller!,
      integrations: integrations!,
      leading: () => leadership.isLeader(),
      fastPathProcedures: app.fastPathProcedures,
      close: async () => {
        await new Promise<void>((resolve) => {
          running.close(() => resolve());
          running.closeIdleConnections();
          // In-flight requests get a grace period, then go.
          setTimeout(() => running.closeAllConnections(), 5_000).unref();
        });
        await controller?.stop();
        await integrations?.stop();
        sender.close();
        await election?.stop();
        await listener?.stop();
        await shared?.stop();
        await warmer?.stop();
        await database.close();
      },
    };
  } catch (error) {
    server?.close();
    await controller?.stop();
    await integrations?.stop();
    sender.close();
    await election?.stop();
    await listener?.stop();
    await shared?.stop();
    await warmer?.stop();
    await database.close();
    throw error;
  }
}

/**
 * Runs `work` while holding a PostgreSQL advisory lock, so two replicas starting on an empty
 * database do not both load the demo fleet (the second then finds it there). Embedded PGlite is
 * one process: nothing to exclude.
 */
async function oneAtATime<T>(database: DatabaseHandle, work: () => Promise<T>): Promise<T> {
  if (database.kind !== "postgres") return work();
  const STARTUP_LOCK = 0x5167_6e01; // any constant of our own
  return database.db.connection().execute(async (connection) => {
    await sql`SELECT pg_advisory_lock(${STARTUP_LOCK})`.execute(connection);
    try {
      return await work();
    } finally {
      await sql`SELECT pg_advisory_unlock(${STARTUP_LOCK})`.execute(connection);
    }
  });
}
