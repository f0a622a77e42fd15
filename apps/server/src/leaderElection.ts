import type { Leadership } from "@signalbeam/api";
import pg from "pg";
import type { Logger } from "pino";

/**
 * One server leads the policy controller at a time (docs/DESIGN.md): the one holding a PostgreSQL
 * advisory lock, on a connection of its own. A session lock is released by PostgreSQL the moment
 * its connection ends — a killed leader's socket closes, and a standby's next attempt (every
 * `retryMs`) takes over. The leader checks its connection as often; when the check fails it stops
 * leading at once and reconnects. Two leaders for a moment (a partition the leader has not noticed
 * yet) cannot apply an action twice: every action is a compare-and-set on the rollout row.
 */
export interface LeaderElection extends Leadership {
  stop(): Promise<void>;
}

/** "signalbeam controller", as a 64-bit advisory lock key. */
const CONTROLLER_LOCK_KEY = 5_163_109_272_041_761n;

export async function electLeader(
  databaseUrl: string,
  log: Logger,
  options: { retryMs?: number; onChange?: (leading: boolean) => void } = {},
): Promise<LeaderElection> {
  const retryMs = options.retryMs ?? 2_000;
  let client: pg.Client | undefined;
  let leading = false;
  let stopped = false;
  let busy = false;

  const setLeading = (value: boolean) => {
    if (value === leading) return;
    leading = value;
    log.info({ leading }, leading ? "leading the policy controller" : "no longer leading the policy controller");
    options.onChange?.(value);
  };

  const drop = (which: pg.Client, error?: Error) => {
    if (client !== which) return;
    client = undefined;
    if (leading && !stopped) log.warn({ err: error }, "controller leader lost its database connection");
    setLeading(false);
    void which.end().catch(() => undefined);
  };

  const attempt = async () => {
    if (busy || stopped) return;
    busy = true;
    try {
      if (!client) {
        const fresh = new pg.Client({ connectionString: databaseUrl, connectionTimeoutMillis: 5_000 });
        fresh.on("error", (error) => drop(fresh, error));
        fresh.on("end", () => drop(fresh));
        client = fresh;
        await fresh.connect();
      }
      const current = client;
      if (leading) await current.query("SELECT 1");
      else {
        const result = await current.query<{ locked: boolean }>("SELECT pg_try_advisory_lock($1::bigint) AS locked", [
          CONTROLLER_LOCK_KEY.toString(),
        ]);
        if (client === current) setLeading(result.rows[0]!.locked);
      }
    } catch (error) {
      if (client) drop(client, error as Error);
    } finally {
      busy = false;
    }
  };

  await attempt();
  const timer = setInterval(() => void attempt(), retryMs);
  timer.unref();
  return {
    isLeader: () => leading && !stopped,
    async stop() {
      stopped = true;
      clearInterval(timer);
      const current = client;
      client = undefined;
      setLeading(false);
      await current?.end().catch(() => undefined);
    },
  };
}
