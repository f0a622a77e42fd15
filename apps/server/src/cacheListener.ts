import { type AgentCache, applyCacheChange, decodeCacheChange, INVALIDATION_CHANNEL, type OperatorCache } from "@signalbeam/api";
import pg from "pg";
import type { Logger } from "pino";

/**
 * With several replicas on one PostgreSQL, a write on one must reach every replica's caches (agent
 * and operator credentials): writes NOTIFY inside their transaction, and each replica LISTENs here.
 * (Embedded PGlite is one process, whose own writes invalidate its cache directly.)
 *
 * A NOTIFY sent while this connection is down is lost, so nothing cached can be trusted across a
 * disconnect: everything is dropped when the connection goes, and again once `LISTEN` is back —
 * what was cached in between was read while changes could be missed. The connection is retried
 * for as long as the server runs, with capped, jittered backoff; a failed attempt schedules the
 * next one (it is never swallowed).
 */
export interface CacheListener {
  /** Whether `LISTEN` is in place right now. */
  listening(): boolean;
  stop(): Promise<void>;
}

/** Backoff between attempts: from 250 ms, doubling, up to 10 s (jittered ±25 %). */
const MIN_DELAY_MS = 250;
const MAX_DELAY_MS = 10_000;

export async function listenForCacheChanges(
  databaseUrl: string,
  cache: AgentCache,
  operators: OperatorCache,
  log: Logger,
): Promise<CacheListener> {
  let client: pg.Client | undefined;
  let stopped = false;
  let retry: NodeJS.Timeout | undefined;
  let failures = 0;

  const forgetEverything = () => {
    cache.desiredStatesChanged("all");
    cache.credentialsChanged("all");
    operators.changed();
  };

  const scheduleReconnect = () => {
    if (stopped || retry) return;
    const delay = Math.min(MAX_DELAY_MS, MIN_DELAY_MS * 2 ** Math.min(failures, 16)) * (0.75 + Math.random() * 0.5);
    failures++;
    retry = setTimeout(() => {
      retry = undefined;
      void connect().catch((error: unknown) => {
        log.warn({ err: error, attempt: failures }, "cache invalidation listener could not reconnect; retrying");
        scheduleReconnect();
      });
    }, delay);
  };

  const lost = (which: pg.Client, error?: Error) => {
    if (client !== which) return; // an old connection's late event
    client = undefined;
    if (!stopped) log.warn({ err: error }, "cache invalidation listener lost its connection; dropping caches and reconnecting");
    forgetEverything();
    void which.end().catch(() => {});
    scheduleReconnect();
  };

  const connect = async (): Promise<void> => {
    const next = new pg.Client({ connectionString: databaseUrl, connectionTimeoutMillis: 5_000, keepAlive: true });
    next.on("notification", (message) => {
      const change = message.payload ? decodeCacheChange(message.payload) : undefined;
      // This replica applied its own changes when they committed; doing it twice would only reload twice.
      if (change && change.origin !== cache.id) applyCacheChange(cache, change, operators);
    });
    // Until it is ours, a failing client only rejects connect(); afterwards any error or end is a loss.
    next.on("error", (error) => lost(next, error));
    next.on("end", () => lost(next));
    try {
      await next.connect();
      await next.query(`LISTEN ${INVALIDATION_CHANNEL}`);
    } catch (error) {
      void next.end().catch(() => {});
      throw error;
    }
    if (stopped) return void next.end().catch(() => {});
    client = next;
    if (failures > 0) {
      // Back after a gap: whatever was cached meanwhile may have missed a change.
      forgetEverything();
      log.info({ attempts: failures }, "cache invalidation listener reconnected; caches resynchronised");
    }
    failures = 0;
  };

  await connect();
  return {
    listening: () => client !== undefined,
    stop: async () => {
      stopped = true;
      clearTimeout(retry);
      const current = client;
      client = undefined;
      await current?.end().catch(() => {});
    },
  };
}
