import type { Deps } from "../deps";
import { isDatabaseUnavailable } from "../shared/errors";
import { type ClaimedDelivery, claimDue, fanOut } from "./deliveryQueue";
import { recordOutcome } from "./deliveryOutcome";

export interface IntegrationWorker {
  /** Fans out new events and starts every due delivery there is room for; resolves when none is left to start. */
  runDue(): Promise<void>;
  /** Resolves when no attempt is in flight and nothing is due (tests wait on it). */
  settled(): Promise<void>;
  stop(): Promise<void>;
}

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

  const attempt = (delivery: ClaimedDelivery): void => {
    const work = (async () => {
      const outcome = await deps.sender.send(
        { kind: delivery.kind, target: delivery.target, secrets: delivery.secrets },
        { messageId: delivery.eventId ?? `delivery_${delivery.id}`, payload: delivery.payload },
      );
      await recordOutcome(deps, delivery, outcome, random());
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
        kick();
      });
    inFlight.add(work);
  };

  const pass = async (): Promise<void> => {
    while (!stopped && (await fanOut(deps.db, deps.clock())).events > 0);
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

  const unsubscribe = deps.events.onEventsCommitted(kick);
  const tickMs = options.tickMs ?? 500;
  const timer = tickMs > 0 ? setInterval(kick, tickMs) : undefined;
  timer?.unref();

  return {
    runDue,
    async settled() {
      for (;;) {
        await runDue();
        if (inFlight.size === 0) return;
        await Promise.all([...inFlight]);
      }
    },
    async stop() {
      stopped = true;
      clearInterval(timer);
      unsubscribe();
      await pumping?.catch(() => undefined);
      await Promise.all([...inFlight]);
    },
  };
}
