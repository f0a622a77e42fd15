import type { Deps } from "../../deps";
import { isDatabaseUnavailable } from "../../shared/errors";
import { writeChange } from "../../shared/writeChange";
import { runControllerStep } from "./controllerStep";

/** Whether this process may act as the controller right now (see the server's leader election). */
export interface Leadership {
  isLeader(): boolean;
}

export const ALWAYS_LEADER: Leadership = { isLeader: () => true };

export interface PolicyController {
  /** Looks at every rollout that is due or was asked for, until none is left; resolves when done. */
  runDue(): Promise<number>;
  stop(): Promise<void>;
}

export interface ControllerOptions {
  leadership: Leadership;
  /** The tick for time-based rules (soak, windows, timeouts, backoff, rate); at most one second; 0: no tick. */
  tickMs?: number;
  /** How many due rollouts one pass takes. */
  batch?: number;
}

/**
 * The policy controller's loop: event-driven on final reports and manager actions (writes ask for
 * it after they commit, see `Change.wakeController`), plus a tick for time-based rules that looks
 * only at rollouts whose `next_action_at` is due (an index scan that finds nothing costs nothing,
 * whatever the number of waiting rollouts). Only the leader acts; another replica's request is
 * found by the leader's tick, because the write that made it set `next_action_at` to now.
 * Each rollout's step is one transaction (see runControllerStep).
 */
export function startPolicyController(deps: Deps, options: ControllerOptions): PolicyController {
  const tickMs = Math.min(options.tickMs ?? 1000, 1000);
  const batch = options.batch ?? 200;
  const wanted = new Set<string>();
  let stopped = false;
  let running: Promise<number> | undefined;
  let again = false;

  const step = async (rolloutId: string) => {
    try {
      await writeChange(deps, (tx, change) => runControllerStep(tx, change, rolloutId));
    } catch (error) {
      if (isDatabaseUnavailable(error)) throw error;
      deps.log.error({ err: error, rolloutId }, "policy controller step failed; it is retried at the next tick");
    }
  };

  const pass = async (): Promise<number> => {
    if (!options.leadership.isLeader()) {
      wanted.clear();
      return 0;
    }
    let done = 0;
    for (;;) {
      const due = await deps.db
        .selectFrom("rollouts")
        .select("id")
        .where("next_action_at", "<=", deps.clock())
        .orderBy("next_action_at")
        .limit(batch)
        .execute();
      const ids = new Set([...wanted, ...due.map((row) => row.id)]);
      wanted.clear();
      if (ids.size === 0 || stopped) return done;
      for (const id of ids) {
        if (stopped) return done;
        await step(id);
        done++;
      }
      if (due.length < batch && wanted.size === 0) return done;
    }
  };

  const runDue = (): Promise<number> => {
    if (running) {
      again = true;
      return running;
    }
    running = (async () => {
      let total = 0;
      do {
        again = false;
        total += await pass();
      } while (again && !stopped);
      return total;
    })().finally(() => (running = undefined));
    return running;
  };

  const kick = () =>
    void runDue().catch((error: unknown) =>
      deps.log.warn({ err: error }, "policy controller pass failed; retrying at the next tick"),
    );
  const unsubscribe = deps.events.onControllerWanted((rolloutId) => {
    wanted.add(rolloutId);
    kick();
  });
  const timer = tickMs > 0 ? setInterval(kick, tickMs) : undefined;
  timer?.unref();

  return {
    runDue,
    async stop() {
      stopped = true;
      clearInterval(timer);
      unsubscribe();
      await running?.catch(() => undefined);
    },
  };
}
