import type { Deps } from "../deps";
import { isDatabaseUnavailable } from "../shared/errors";
import { type ClaimedDelivery, claimDue, fanOut } from "./deliveryQueue";
import { recordOutcome, recordSuccesses } from "./deliveryOutcome";
import type { Outcome } from "./sender";

export interface IntegrationWorker {
  /** Fans out new events and starts every due delivery there is room for; resolves when none is left to start. */
  runDue(): Promise<void>;
  /** Resolves when no attempt is in flight and nothing is due (tests wait on it). */
  settled(): Promise<void>;
  stop(): Promise<void>;
}

/** The delivery log keeps finished deliveries this long (pending ones until they finish). */
export const DELIVERY_LOG_DAYS = 30;
const PRUNE_EVERY_MS = 60 * 60 * 1000;

export interface WorkerOptions {
  /** How often to look for work that no commit of this process announced (other replicas, retries); 0: never. */
  tickMs?: number;
  /** Attempts in flight at once. */
  concurrency?: number;
  /** Jitter source (tests pin it). */
  random?: () => number;
}

/**
 * Sends what the change log's subscribers should hear. Every replica runs one: fan-out and claims
 * are safe to race (see deliveryQueue). Woken at once by this process's commits that wrote
 * events, and by a short tick for everything else; a slow receiver holds one of `concurrency`
 * slots for at most its timeout, never the queue.
 */
export function startIntegrationWorker(deps: Deps, options: WorkerOptions = {}): IntegrationWorker {
  const concurrency = options.concurrency ?? 32;
  const random = options.random ?? Math.random;
  // A claimed attempt is another replica's to retry only once it surely ended here.
  const leaseMs = deps.sender.timeoutMs + 5_000;
  const inFlight = new Set<Promise<void>>();
  let pumping: Promise<void> | undefined;
  let again = false;
  let stopped = false;
  // The change log is read when this process committed events, and at each tick (other replicas'
  // events); a finished attempt only asks for a claim.
  let fanOutWanted = true;

  // Successes are written in batches: a flush every few milliseconds, or at 64.
  let successes: { delivery: ClaimedDelivery; outcome: Outcome; resolve: () => void; reject: (error: unknown) => void }[] = [];
  let flushTimer: ReturnType<typeof setTimeout> | undefined;
  const flushSuccesses = () => {
    clearTimeout(flushTimer);
    flushTimer = undefined;
    const batch = successes;
    successes = [];
    recordSuccesses(deps, batch).then(
      () => batch.forEach((item) => item.resolve()),
      (error: unknown) => batch.forEach((item) => item.reject(error)),
    );
  };
  const recordSuccess = (delivery: ClaimedDelivery, outcome: Outcome) =>
    new Promise<void>((resolve, reject) => {
      successes.push({ delivery, outcome, resolve, reject });
      if (successes.length >= 64) flushSuccesses();
      else flushTimer ??= setTimeout(flushSuccesses, 5);
    });

  // Attempts that finish close together ask for one claim between them.
  let claimTimer: ReturnType<typeof setTimeout> | undefined;
  const claimSoon = () => {
    claimTimer ??= setTimeout(() => {
      claimTimer = undefined;
      kick();
    }, 5);
  };

  const attempt = (delivery: ClaimedDelivery): void => {
    const work = (async () => {
      const outcome = await deps.sender.send(
        { kind: delivery.kind, target: delivery.target, secrets: delivery.secrets },
        { messageId: delivery.eventId ?? `delivery_${delivery.id}`, payload: delivery.payload },
      );
      if (outcome.ok) await recordSuccess(delivery, outcome);
      else await recordOutcome(deps, delivery, outcome, random());
      const lagMs = outcome.ok && delivery.attempt === 1 ? deps.clock().getTime() - Date.parse(delivery.payload.timestamp) : null;
      deps.metrics.delivered(delivery.kind, outcome.ok, outcome.durationMs, lagMs);
    })()
      .catch((error: unknown) =>
        deps.log.warn(
          { err: error, deliveryId: delivery.id },
          "recording a delivery attempt failed; its lease lapses and it is sent again",
        ),
      )
      .finally(() => {
        inFlight.delete(work);
        // A finished attempt may unblock the same rollout's next event, or make room.
        claimSoon();
      });
    inFlight.add(work);
  };

  let prunedAt = 0;
  /** Finished deliveries older than the log's retention go, a bounded batch per hour and replica. */
  const prune = async (): Promise<void> => {
    const now = deps.clock();
    if (now.getTime() - prunedAt < PRUNE_EVERY_MS) return;
    prunedAt = now.getTime();
    const cutoff = new Date(now.getTime() - DELIVERY_LOG_DAYS * 24 * 60 * 60 * 1000);
    await deps.db
      .deleteFrom("deliveries")
      .where("id", "in", (eb) =>
        eb.selectFrom("deliveries").select("id").where("status", "!=", "pending").where("created_at", "<", cutoff).limit(50_000),
      )
      .execute();
  };

  const pass = async (): Promise<void> => {
    await prune();
    if (fanOutWanted) {
      fanOutWanted = false;
      while (!stopped && (await fanOut(deps.db, deps.clock())).events > 0);
    }
    while (!stopped) {
      const room = concurrency - inFlight.size;
      if (room <= 0) return;
      const claimed = await claimDue(deps.db, deps.clock(), leaseMs, room);
      for (const delivery of claimed) attempt(delivery);
      if (claimed.length < room) return;
    }
  };

  const runDue = (): Promise<void> => {
    if (pumping) {
      again = true;
      return pumping;
    }
    pumping = (async () => {
      do {
        again = false;
        await pass();
      } while (again && !stopped);
    })().finally(() => (pumping = undefined));
    return pumping;
  };

  function kick(): void {
    if (stopped) return;
    void runDue().catch((error: unknown) => {
      if (isDatabaseUnavailable(error))
        deps.log.warn({ err: error }, "integrations: database unavailable; retrying at the next tick");
      else deps.log.error({ err: error }, "integrations pass failed; retrying at the next tick");
    });
  }

  // Commits close together (a burst of failure reports) share one read of the log.
  let readTimer: ReturnType<typeof setTimeout> | undefined;
  const readLog = () => {
    fanOutWanted = true;
    readTimer ??= setTimeout(() => {
      readTimer = undefined;
      kick();
    }, 5);
  };
  const unsubscribe = deps.events.onEventsCommitted(readLog);
  const tickMs = options.tickMs ?? 500;
  const timer = tickMs > 0 ? setInterval(readLog, tickMs) : undefined;
  timer?.unref();

  return {
    runDue,
    async settled() {
      // Timers armed by commits or finished attempts would only run what this loop runs; cleared
      // here, so nothing queries the database after `settled` resolves unless something new happens.
      const disarm = () => {
        clearTimeout(readTimer);
        readTimer = undefined;
        clearTimeout(claimTimer);
        claimTimer = undefined;
      };
      for (;;) {
        disarm();
        fanOutWanted = true;
        await runDue();
        if (inFlight.size === 0) return disarm();
        await Promise.all([...inFlight]);
      }
    },
    async stop() {
      stopped = true;
      clearInterval(timer);
      clearTimeout(claimTimer);
      clearTimeout(readTimer);
      unsubscribe();
      await pumping?.catch(() => undefined);
      await Promise.all([...inFlight]);
    },
  };
}
