import pg from "pg";
import type { Logger } from "pino";

/**
 * With several replicas on one PostgreSQL, what one replica writes must reach the others: cache
 * invalidations (agent and operator credentials, desired states) and change notices (live views,
 * the controller, the delivery worker). Writers NOTIFY; each replica LISTENs on one connection
 * of its own, here. (Embedded PGlite is one process, whose writes reach its caches directly.)
 *
 * A NOTIFY sent while this connection is down is lost, so nothing that depends on it can be
 * trusted across a disconnect: each channel's `onLost` runs when the connection goes, and its
 * `onResync` once `LISTEN` is back, because whatever was read in between could have missed a
 * change. The connection is retried for as long as the server runs, with capped, jittered
 * backoff; a failed attempt schedules the next one (it is never swallowed).
 */
export interface NotificationChannel {
  name: string;
  onNotice(payload: string): void;
  /** The connection went: notices may be missed from now on. */
  onLost?(): void;
  /** `LISTEN` is back after a gap. */
  onResync?(): void;
}

export interface NotificationListener {
  /** Whether `LISTEN` is in place right now. */
  listening(): boolean;
  /** The listening connection's server process (tests terminate it to break the listener on purpose). */
  backendPid(): number | undefined;
  stop(): Promise<void>;
}

/** Backoff between attempts: from 250 ms, doubling, up to 10 s (jittered ±25 %). */
const MIN_DELAY_MS = 250;
const MAX_DELAY_MS = 10_000;

export async function listenForNotifications(
  databaseUrl: string,
  channels: NotificationChannel[],
  log: Logger,
): Promise<NotificationListener> {
  const byName = new Map(channels.map((channel) => [channel.name, channel]));
  let client: pg.Client | undefined;
  let pid: number | undefined;
  let stopped = false;
  let retry: NodeJS.Timeout | undefined;
  let failures = 0;

  const scheduleReconnect = () => {
    if (stopped || retry) return;
    const delay = Math.min(MAX_DELAY_MS, MIN_DELAY_MS * 2 ** Math.min(failures, 16)) * (0.75 + Math.random() * 0.5);
    failures++;
    retry = setTimeout(() => {
      retry = undefined;
      void connect().catch((error: unknown) => {
        log.warn({ err: error, attempt: failures }, "notification listener could not reconnect; retrying");
        scheduleReconnect();
      });
    }, delay);
  };

  const lost = (which: pg.Client, error?: Error) => {
    if (client !== which) return; // an old connection's late event
    client = undefined;
    pid = undefined;
    if (!stopped) log.warn({ err: error }, "notification listener lost its connection; dropping caches and reconnecting");
    for (const channel of channels) channel.onLost?.();
    void which.end().catch(() => {});
    scheduleReconnect();
  };

  const connect = async (): Promise<void> => {
    const next = new pg.Client({
      connectionString: databaseUrl,
      connectionTimeoutMillis: 5_000,
      keepAlive: true,
      application_name: "signalbeam listener",
    });
    next.on("notification", (message) => {
      if (message.payload) byName.get(message.channel)?.onNotice(message.payload);
    });
    // Until it is ours, a failing client only rejects connect(); afterwards any error or end is a loss.
    next.on("error", (error) => lost(next, error));
    next.on("end", () => lost(next));
    let backend: number;
    try {
      await next.connect();
      backend = (await next.query<{ pid: number }>("SELECT pg_backend_pid() AS pid")).rows[0]!.pid;
      for (const channel of channels) await next.query(`LISTEN ${channel.name}`);
    } catch (error) {
      void next.end().catch(() => {});
      throw error;
    }
    if (stopped) return void next.end().catch(() => {});
    client = next;
    pid = backend;
    if (failures > 0) {
      // Back after a gap: whatever was read meanwhile may have missed a change.
      for (const channel of channels) channel.onResync?.();
      log.info({ attempts: failures }, "notification listener reconnected; caches and live views resynchronised");
    }
    failures = 0;
  };

  await connect();
  return {
    listening: () => client !== undefined,
    backendPid: () => pid,
    stop: async () => {
      stopped = true;
      clearTimeout(retry);
      const current = client;
      client = undefined;
      await current?.end().catch(() => {});
    },
  };
}
