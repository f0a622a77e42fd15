import { type AgentCache, applyCacheChange, type OperatorCache, decodeCacheChange, INVALIDATION_CHANNEL } from "@signalbeam/api";
import pg from "pg";
import type { Logger } from "pino";

/**
 * With several replicas on one PostgreSQL, a write on one must reach every replica's caches (agent
 * and operator credentials): writes NOTIFY inside their transaction, and each replica LISTENs here. (Embedded PGlite is one
 * process, whose own writes invalidate its cache directly.) If the connection drops, everything
 * cached is dropped too, since changes may have been missed, and it reconnects.
 */
export async function listenForCacheChanges(
  databaseUrl: string,
  cache: AgentCache,
  operators: OperatorCache,
  log: Logger,
): Promise<() => Promise<void>> {
  let client: pg.Client | undefined;
  let stopped = false;
  let retry: NodeJS.Timeout | undefined;

  const connect = async (): Promise<void> => {
    const next = new pg.Client({ connectionString: databaseUrl });
    next.on("notification", (message) => {
      const change = message.payload ? decodeCacheChange(message.payload) : undefined;
      // This replica applied its own changes when they committed; doing it twice would only reload twice.
      if (change && change.origin !== cache.id) applyCacheChange(cache, change, operators);
    });
    next.on("error", (error) => {
      log.warn({ err: error }, "cache invalidation listener lost its connection; reconnecting");
      cache.desiredStatesChanged("all");
      cache.credentialsChanged("all");
      operators.changed();
      void next.end().catch(() => {});
      if (!stopped) retry = setTimeout(() => void connect().catch(() => {}), 1_000);
    });
    await next.connect();
    await next.query(`LISTEN ${INVALIDATION_CHANNEL}`);
    client = next;
  };

  await connect();
  return async () => {
    stopped = true;
    clearTimeout(retry);
    await client?.end().catch(() => {});
  };
}
